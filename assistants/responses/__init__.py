"""The Responses API: responses as an adapter over the turn engine, items as their history."""
