"""What every feature uses: database, settings, accounts, outbox, i18n, errors."""
