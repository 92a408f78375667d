"""parsing: model family of structnlp (see the project issues; nothing public yet)."""
