// Package engine is cais's one facade: the commands of the CLI (and later
// the API servers) call its methods, and it orchestrates the image layer
// (content store, image records, registry, snapshots, unpack) below it.
//
// Engine is a concrete type; a consumer that needs only part of it declares
// the narrow interface it uses.
//
// State lives under Options.Root:
//
//	<root>/content     blobs (image/content)
//	<root>/image       image records (image/metadata, bbolt meta.db)
//	<root>/snapshots   unpacked layers (image/snapshots/overlay, bbolt metadata.db)
//	<root>/gc.lock     shared by writers of new data, exclusive for GC
//	<root>/volumes     volumes (engine/volume), each <name>/volume.json and _data
//
// Many cais processes run at once (a pull may take minutes while another
// lists images), and bbolt lets one process at a time hold a database file.
// So the engine never keeps a database open: each operation on records or
// snapshots opens the database, transacts and closes it (see stores.go),
// and the file lock bbolt takes serializes processes for that instant
// only. Long work (downloads, layer extraction) happens with no database
// open. A pull holds gc.lock shared from its first blob to its last
// snapshot, so a concurrent GC cannot delete what it fetched before the
// record that references it exists.
//
// Not here: parsing registry protocols, applying tars, mounting. Those
// belong to the image layer; the engine only decides and records.
package engine
