"""Conversation items: their storage order and a conversation's (or thread's) history."""
