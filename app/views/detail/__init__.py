"""The intervention screen: a container (detail_view.py) and one file per section."""

from app.views.detail.detail_view import DetailView

__all__ = ["DetailView"]
