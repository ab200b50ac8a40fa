package nn

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn/safetensors"
)

// Names reserved in a checkpoint for the optimiser: its state tensors are
// stored as OptimPrefix+"<param>.exp_avg" (and so on), its step count and
// kind in the metadata under MetaOptimStep and MetaOptimType.
const (
	OptimPrefix   = "optim."
	MetaOptimStep = "optim.step"
	MetaOptimType = "optim.type"
)

// BufferModule is a Module with state that is saved but not trained, such
// as BatchNorm2d's running statistics. A model that contains one should
// implement Buffers too, prefixing names as in Parameters.
type BufferModule interface {
	Module
	Buffers() []NamedParam
}

// StatefulOptimizer is an Optimizer whose state can be checkpointed: SGD
// and AdamW.
type StatefulOptimizer interface {
	Optimizer
	State() []NamedParam
	Steps() int
	SetSteps(n int)
}

// checkpointTensors returns every tensor of m (parameters, then buffers)
// and of opt (under OptimPrefix) by name.
func checkpointTensors(m Module, opt Optimizer) (map[string]*Tensor, StatefulOptimizer, error) {
	named := m.Parameters()
	if bm, ok := m.(BufferModule); ok {
		named = append(named, bm.Buffers()...)
	}
	var so StatefulOptimizer
	if opt != nil {
		var ok bool
		if so, ok = opt.(StatefulOptimizer); !ok {
			return nil, nil, galen.Errorf(galen.EINVALID, "nn: checkpoint: optimizer %T has no State/Steps/SetSteps", opt)
		}
	}
	out := make(map[string]*Tensor, len(named))
	for _, p := range named {
		if strings.HasPrefix(p.Name, OptimPrefix) {
			return nil, nil, galen.Errorf(galen.EINVALID, "nn: checkpoint: parameter name %q uses the reserved prefix %q", p.Name, OptimPrefix)
		}
		if _, dup := out[p.Name]; dup {
			return nil, nil, galen.Errorf(galen.EINVALID, "nn: checkpoint: two tensors named %q", p.Name)
		}
		out[p.Name] = p.Tensor
	}
	if so != nil {
		for _, p := range so.State() {
			name := OptimPrefix + p.Name
			if _, dup := out[name]; dup {
				return nil, nil, galen.Errorf(galen.EINVALID, "nn: checkpoint: two tensors named %q", name)
			}
			out[name] = p.Tensor
		}
	}
	return out, so, nil
}

func optimType(opt StatefulOptimizer) string { return fmt.Sprintf("%T", opt) }

// SaveCheckpoint writes m's parameters and buffers by name, and, when opt
// is not nil, the optimiser's state and step count, to w as a safetensors
// file (F32). meta is stored as the file's metadata; its keys must not start
// with OptimPrefix.
func SaveCheckpoint(w io.Writer, m Module, opt Optimizer, meta map[string]string) error {
	ts, so, err := checkpointTensors(m, opt)
	if err != nil {
		return err
	}
	md := make(map[string]string, len(meta)+2)
	for k, v := range meta {
		if strings.HasPrefix(k, OptimPrefix) {
			return galen.Errorf(galen.EINVALID, "nn: checkpoint: metadata key %q uses the reserved prefix %q", k, OptimPrefix)
		}
		md[k] = v
	}
	if so != nil {
		md[MetaOptimStep] = strconv.Itoa(so.Steps())
		md[MetaOptimType] = optimType(so)
	}
	st := make(map[string]safetensors.Tensor, len(ts))
	for name, t := range ts {
		st[name] = safetensors.Tensor{DType: safetensors.F32, Shape: t.Shape, Data: t.Data}
	}
	return safetensors.Save(w, st, md)
}

// LoadCheckpoint reads a checkpoint made by SaveCheckpoint (or any
// safetensors file with the same names) into m and, when opt is not nil,
// into the optimiser, and returns the caller's metadata (without the
// optimiser keys). With a nil opt, optimiser tensors in the file are
// ignored, so a training checkpoint loads for inference.
//
// Nothing is changed unless everything matches: a corrupt or truncated file
// is an EINVALID error, and a file whose names, shapes or dtypes differ from
// the model's is an EINVALID error wrapping a *safetensors.MismatchError
// that lists every missing, unexpected, wrongly shaped and wrongly typed
// tensor at once.
func LoadCheckpoint(data []byte, m Module, opt Optimizer) (map[string]string, error) {
	ts, so, err := checkpointTensors(m, opt)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Load(data)
	if err != nil {
		return nil, fmt.Errorf("nn: load checkpoint: %w", err)
	}
	steps := 0
	if so != nil {
		s, ok := f.Metadata[MetaOptimStep]
		if !ok {
			return nil, galen.Errorf(galen.EINVALID, "nn: load checkpoint: no optimizer state (metadata %q)", MetaOptimStep)
		}
		if steps, err = strconv.Atoi(s); err != nil || steps < 0 {
			return nil, galen.Errorf(galen.EINVALID, "nn: load checkpoint: bad optimizer step count %q", s)
		}
		if typ := f.Metadata[MetaOptimType]; typ != optimType(so) {
			return nil, galen.Errorf(galen.EINVALID, "nn: load checkpoint: optimizer state is for %q, not %q", typ, optimType(so))
		}
	} else {
		for name := range f.Tensors {
			if strings.HasPrefix(name, OptimPrefix) {
				delete(f.Tensors, name)
			}
		}
	}
	targets := make(map[string]safetensors.Target, len(ts))
	for name, t := range ts {
		targets[name] = safetensors.Target{Shape: t.Shape, Data: t.Data}
	}
	if err := f.Assign(targets); err != nil {
		return nil, err
	}
	if so != nil {
		so.SetSteps(steps)
	}
	meta := make(map[string]string, len(f.Metadata))
	for k, v := range f.Metadata {
		if !strings.HasPrefix(k, OptimPrefix) {
			meta[k] = v
		}
	}
	return meta, nil
}

// SaveCheckpointFile writes a checkpoint to path atomically: it writes a
// temporary file in the same directory, syncs it to disk and renames it over
// path, so a crash leaves either the old file or the new one, never half of
// one.
func SaveCheckpointFile(path string, m Module, opt Optimizer, meta map[string]string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("nn: save checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := SaveCheckpoint(bw, m, opt, meta); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("nn: save checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("nn: save checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("nn: save checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("nn: save checkpoint: %w", err)
	}
	// Make the rename itself durable; not every file system supports
	// syncing a directory, so failure here is not an error.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadCheckpointFile reads the checkpoint at path with LoadCheckpoint.
func LoadCheckpointFile(path string, m Module, opt Optimizer) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nn: load checkpoint: %w", err)
	}
	return LoadCheckpoint(data, m, opt)
}
