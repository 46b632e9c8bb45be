"""Domain services: rules and validation over the models. Never import Flet here."""
