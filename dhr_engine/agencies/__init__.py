"""An agency's named DHR contacts (single point of contact, IMR authors, senior manager), kept by
the CSP: they are told when their agency is asked for a return and may work on that request."""
