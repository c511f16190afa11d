"""Datasets mostaframe can generate: :mod:`mostaframe.datasets.fitzone` (FitZoneGym)."""

__all__ = ["fitzone"]
