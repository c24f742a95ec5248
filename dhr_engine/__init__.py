"""dhr-engine: workflow and case management for Domestic Homicide Reviews (DHR / DARDR)."""

__version__ = "0.1.0"
