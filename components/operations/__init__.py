"""Running the stack: budget, service-quota check, Run Command documents for restarts."""
