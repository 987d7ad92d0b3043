"""Outreach: campaigns that invite the people who asked to hear about future events, and the
programme's reach across the country's organisations (issue 12)."""
