// Node's own start-up, for the CLI bench's reference row: this file does nothing.
