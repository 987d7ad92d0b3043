"""What the law asks of the personal data the other features hold: retention and its purge,
a person's own data, erasure on request. It sits above every feature and reads their tables."""
