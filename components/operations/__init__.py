"""Running the stack: budget, service-quota check, Run Command documents for restarts, OS patching and Session
Manager."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "budget": ("StackBudget", "BudgetArgs"),
    "quotas": ("check_quotas",),
    "restart_documents": ("RestartDocuments", "RestartDocumentsArgs"),
    "patching": ("NodePatching", "PatchingArgs", "patching_node_statements"),
    "sessions": ("SessionAccess", "SessionsArgs", "session_node_statements"),
})
