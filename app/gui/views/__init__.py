"""Widgets: findings, model table, dialogs."""
