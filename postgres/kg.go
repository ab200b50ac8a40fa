package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/galenhealth/galen"
)

// ReplaceKGSource replaces everything the source holds, in one transaction.
func (db *DB) ReplaceKGSource(ctx context.Context, src *galen.KGSource, nodes []galen.KGNode, edges []galen.KGEdge) error {
	if err := galen.ValidateKGSource(src, nodes, edges); err != nil {
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return internal("replace kg source", err)
	}
	defer tx.Rollback(ctx)
	// One import at a time: the generation row is the lock.
	if _, err := tx.Exec(ctx, `SELECT generation FROM kg_state WHERE id = 1 FOR UPDATE`); err != nil {
		return internal("replace kg source", err)
	}
	for _, q := range []string{`DELETE FROM kg_nodes WHERE source = $1`, `DELETE FROM kg_edges WHERE source = $1`, `DELETE FROM kg_sources WHERE name = $1`} {
		if _, err := tx.Exec(ctx, q, src.Name); err != nil {
			return internal("replace kg source", err)
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"kg_nodes"}, []string{"source", "id", "type", "name", "synonyms", "attrs"},
		pgx.CopyFromSlice(len(nodes), func(i int) ([]any, error) {
			n := &nodes[i]
			return []any{src.Name, n.ID, n.Type, n.Name, jsonText(n.Synonyms), jsonText(n.Attrs)}, nil
		}))
	if err != nil {
		return internal("insert kg nodes", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"kg_edges"}, []string{"source", "seq", "from_id", "to_id", "type", "attrs"},
		pgx.CopyFromSlice(len(edges), func(i int) ([]any, error) {
			e := &edges[i]
			return []any{src.Name, int64(i), e.From, e.To, e.Type, jsonText(e.Attrs)}, nil
		}))
	if err != nil {
		return internal("insert kg edges", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO kg_sources (name, license, imported_at, rows_read, nodes, edges, dropped, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, src.Name, src.License, src.ImportedAt.UTC().Truncate(time.Microsecond), src.RowsRead, len(nodes), len(edges), src.Dropped, src.Report); err != nil {
		return internal("replace kg source", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE kg_state SET generation = generation + 1 WHERE id = 1`); err != nil {
		return internal("replace kg source", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal("replace kg source", err)
	}
	return nil
}

// jsonText encodes v as JSON text ("[]" for an empty slice).
func jsonText[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// FindKGSources returns the imported sources, by name.
func (db *DB) FindKGSources(ctx context.Context) ([]*galen.KGSource, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, license, imported_at, rows_read, nodes, edges, dropped, report FROM kg_sources ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, internal("find kg sources", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*galen.KGSource, error) {
		var s galen.KGSource
		err := row.Scan(&s.Name, &s.License, &s.ImportedAt, &s.RowsRead, &s.Nodes, &s.Edges, &s.Dropped, &s.Report)
		s.ImportedAt = s.ImportedAt.UTC()
		return &s, err
	})
	if err != nil {
		return nil, internal("find kg sources", err)
	}
	if out == nil {
		out = []*galen.KGSource{}
	}
	return out, nil
}

// KGGeneration returns the graph generation.
func (db *DB) KGGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := db.pool.QueryRow(ctx, `SELECT generation FROM kg_state WHERE id = 1`).Scan(&g); err != nil {
		return 0, internal("kg generation", err)
	}
	return g, nil
}

// ScanKG streams every node, then every edge, from one snapshot.
func (db *DB) ScanKG(ctx context.Context, node func(*galen.KGNode) error, edge func(*galen.KGEdge) error) (int64, error) {
	tx, err := db.readTx(ctx)
	if err != nil {
		return 0, internal("scan kg", err)
	}
	defer tx.Rollback(ctx)
	var gen int64
	if err := tx.QueryRow(ctx, `SELECT generation FROM kg_state WHERE id = 1`).Scan(&gen); err != nil {
		return 0, internal("scan kg", err)
	}
	rows, err := tx.Query(ctx, `SELECT source, id, type, name, synonyms, attrs FROM kg_nodes ORDER BY source COLLATE "C", id COLLATE "C"`)
	if err != nil {
		return 0, internal("scan kg nodes", err)
	}
	for rows.Next() {
		var (
			n          galen.KGNode
			syn, attrs string
		)
		if err := rows.Scan(&n.Source, &n.ID, &n.Type, &n.Name, &syn, &attrs); err != nil {
			rows.Close()
			return 0, internal("scan kg nodes", err)
		}
		if err := decodeKG(syn, &n.Synonyms, attrs, &n.Attrs); err != nil {
			rows.Close()
			return 0, internal("scan kg nodes", fmt.Errorf("node %s: %w", n.ID, err))
		}
		if err := node(&n); err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, internal("scan kg nodes", err)
	}
	erows, err := tx.Query(ctx, `SELECT source, from_id, to_id, type, attrs FROM kg_edges ORDER BY source COLLATE "C", seq`)
	if err != nil {
		return 0, internal("scan kg edges", err)
	}
	defer erows.Close()
	for erows.Next() {
		var (
			e     galen.KGEdge
			attrs string
		)
		if err := erows.Scan(&e.Source, &e.From, &e.To, &e.Type, &attrs); err != nil {
			return 0, internal("scan kg edges", err)
		}
		if err := decodeKG("", nil, attrs, &e.Attrs); err != nil {
			return 0, internal("scan kg edges", err)
		}
		if err := edge(&e); err != nil {
			return 0, err
		}
	}
	if err := erows.Err(); err != nil {
		return 0, internal("scan kg edges", err)
	}
	return gen, nil
}

// decodeKG decodes the stored JSON arrays; "[]" decodes to nil.
func decodeKG(syn string, synonyms *[]string, attrs string, as *[]galen.KGAttr) error {
	if synonyms != nil && syn != "[]" && syn != "" {
		if err := json.Unmarshal([]byte(syn), synonyms); err != nil {
			return err
		}
	}
	if attrs != "[]" && attrs != "" {
		return json.Unmarshal([]byte(attrs), as)
	}
	return nil
}
