"""Cases: open one from a notification, fire workflow triggers, read it, its page and its timeline."""
