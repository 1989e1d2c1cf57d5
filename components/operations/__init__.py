"""Running the stack: budget, service-quota check, Run Command documents for restarts."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config and the cluster modules import each other's packages.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "budget": ("StackBudget", "BudgetArgs"),
    "quotas": ("check_quotas",),
    "restart_documents": ("RestartDocuments", "RestartDocumentsArgs"),
})
