"""The Conversations API: conversations and their items; an Assistants thread is one too."""
