package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/galenhealth/galen"
)

// ReplaceKGSource replaces everything the source holds, in one transaction.
func (db *DB) ReplaceKGSource(ctx context.Context, src *galen.KGSource, nodes []galen.KGNode, edges []galen.KGEdge) error {
	if err := galen.ValidateKGSource(src, nodes, edges); err != nil {
		return err
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return internal("replace kg source", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM kg_nodes WHERE source = ?`, `DELETE FROM kg_edges WHERE source = ?`, `DELETE FROM kg_sources WHERE name = ?`} {
		if _, err := tx.ExecContext(ctx, q, src.Name); err != nil {
			return internal("replace kg source", err)
		}
	}
	if err := insertKGNodes(ctx, tx, src.Name, nodes); err != nil {
		return err
	}
	if err := insertKGEdges(ctx, tx, src.Name, edges); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kg_sources (name, license, imported_at, rows_read, nodes, edges, dropped, report)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, src.Name, src.License, formatTime(src.ImportedAt), src.RowsRead, len(nodes), len(edges), src.Dropped, src.Report); err != nil {
		return internal("replace kg source", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE kg_state SET generation = generation + 1 WHERE id = 1`); err != nil {
		return internal("replace kg source", err)
	}
	if err := tx.Commit(); err != nil {
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

func insertKGNodes(ctx context.Context, tx *sql.Tx, source string, nodes []galen.KGNode) error {
	st, err := tx.PrepareContext(ctx, `INSERT INTO kg_nodes (source, id, type, name, synonyms, attrs) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return internal("insert kg nodes", err)
	}
	defer st.Close()
	for i := range nodes {
		n := &nodes[i]
		if _, err := st.ExecContext(ctx, source, n.ID, n.Type, n.Name, jsonText(n.Synonyms), jsonText(n.Attrs)); err != nil {
			return internal("insert kg nodes", err)
		}
	}
	return nil
}

func insertKGEdges(ctx context.Context, tx *sql.Tx, source string, edges []galen.KGEdge) error {
	st, err := tx.PrepareContext(ctx, `INSERT INTO kg_edges (source, seq, from_id, to_id, type, attrs) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return internal("insert kg edges", err)
	}
	defer st.Close()
	for i := range edges {
		e := &edges[i]
		if _, err := st.ExecContext(ctx, source, i, e.From, e.To, e.Type, jsonText(e.Attrs)); err != nil {
			return internal("insert kg edges", err)
		}
	}
	return nil
}

// FindKGSources returns the imported sources, by name.
func (db *DB) FindKGSources(ctx context.Context) ([]*galen.KGSource, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, license, imported_at, rows_read, nodes, edges, dropped, report FROM kg_sources ORDER BY name`)
	if err != nil {
		return nil, internal("find kg sources", err)
	}
	defer rows.Close()
	out := []*galen.KGSource{}
	for rows.Next() {
		var (
			s  galen.KGSource
			at string
		)
		if err := rows.Scan(&s.Name, &s.License, &at, &s.RowsRead, &s.Nodes, &s.Edges, &s.Dropped, &s.Report); err != nil {
			return nil, internal("find kg sources", err)
		}
		if s.ImportedAt, err = parseTime(at); err != nil {
			return nil, internal("find kg sources", err)
		}
		out = append(out, &s)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("find kg sources", err)
	}
	return out, nil
}

// KGGeneration returns the graph generation.
func (db *DB) KGGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := db.db.QueryRowContext(ctx, `SELECT generation FROM kg_state WHERE id = 1`).Scan(&g); err != nil {
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
	defer tx.Rollback()
	var gen int64
	if err := tx.QueryRowContext(ctx, `SELECT generation FROM kg_state WHERE id = 1`).Scan(&gen); err != nil {
		return 0, internal("scan kg", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT source, id, type, name, synonyms, attrs FROM kg_nodes ORDER BY source, id`)
	if err != nil {
		return 0, internal("scan kg nodes", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n          galen.KGNode
			syn, attrs string
		)
		if err := rows.Scan(&n.Source, &n.ID, &n.Type, &n.Name, &syn, &attrs); err != nil {
			return 0, internal("scan kg nodes", err)
		}
		if err := decodeKG(syn, &n.Synonyms, attrs, &n.Attrs); err != nil {
			return 0, internal("scan kg nodes", fmt.Errorf("node %s: %w", n.ID, err))
		}
		if err := node(&n); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, internal("scan kg nodes", err)
	}
	rows.Close()
	erows, err := tx.QueryContext(ctx, `SELECT source, from_id, to_id, type, attrs FROM kg_edges ORDER BY source, seq`)
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
