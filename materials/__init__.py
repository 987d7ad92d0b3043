"""The material library: files and links, audiences, distribution, download statistics."""
