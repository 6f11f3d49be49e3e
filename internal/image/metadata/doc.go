// Package metadata keeps cais's image records: which name points at which
// content (a target descriptor), since when, with which labels. Records live
// in a bbolt database (<root>/meta.db) so every change is one transaction
// and concurrent cais processes see each other's writes.
//
// It stores descriptors, not bytes: the bytes are in the content store, and
// walking a target's descriptor graph (for pulls, garbage collection or
// running) is the job of other packages. GCRoots is the view such a
// collector starts from.
package metadata
