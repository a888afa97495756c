"""Notifications: the outbox written by activities, and the senders that deliver it."""
