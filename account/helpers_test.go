package account_test

import "kairos/store"

func storeFilter(q string) store.AuditFilter { return store.AuditFilter{Query: q} }
