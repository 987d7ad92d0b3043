"""Events, their agenda, calendar export, public pages and organisers' management."""
