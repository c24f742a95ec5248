"""The family engagement log: contacts, leaflet, advocacy, meetings, draft shared, pseudonym."""
