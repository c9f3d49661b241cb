"""Twenty CRM sync over GraphQL: the ERP is master, Twenty a read-only view of partners
and their rental, service and sales history (contract: shared/contracts/twenty/)."""
