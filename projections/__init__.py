"""Read models derived from the token events: disposable, rebuilt from the log on demand."""
