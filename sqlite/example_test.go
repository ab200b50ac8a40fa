package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/sqlite"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "galen-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(ctx, filepath.Join(dir, "galen.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	if err := db.CreateModel(ctx, &galen.Model{Name: "icu-mortality", Task: "outcome"}); err != nil {
		fmt.Println(err)
		return
	}
	card := galen.ModelCard{Task: "outcome", TrainingData: "physionet2012-set-a", DataLicense: "ODC-By 1.0"}
	v := &galen.ModelVersion{ModelName: "icu-mortality", Format: "outcome-grud/v1", Card: card}
	if err := db.CreateModelVersion(ctx, v, []byte("weights")); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := db.SetAlias(ctx, "icu-mortality", "production", v.Version); err != nil {
		fmt.Println(err)
		return
	}
	prod, err := db.FindModelVersion(ctx, "icu-mortality", "production")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(prod.ModelName, prod.Version, prod.Size, prod.SHA256[:12])

	_, err = db.FindModelVersion(ctx, "icu-mortality", "2")
	fmt.Println(galen.ErrorCode(err), galen.ErrorMessage(err))
	// Output:
	// icu-mortality 1 7 9a129038d9a0
	// not_found model "icu-mortality" has no version "2"
}
