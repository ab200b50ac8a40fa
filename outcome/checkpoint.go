package outcome

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn"
	"github.com/galenhealth/galen/nn/safetensors"
)

// checkpointFormat versions the GRU-D checkpoint layout and bookkeeping.
const checkpointFormat = "outcome-grud-ckpt-1"

// Metadata keys of a GRU-D checkpoint.
const (
	metaFormat      = "format"
	metaFingerprint = "fingerprint"
	metaEpoch       = "epoch"      // epochs completed
	metaBestEpoch   = "best_epoch" // epoch whose weights are kept (0: none yet)
	metaBestAUROC   = "best_val_auroc"
	metaBad         = "bad_epochs" // epochs since the best one
	metaDone        = "done"       // "1" when early stopping ended training
)

// bestPrefix names the kept (best-epoch) weights in a checkpoint.
const bestPrefix = "best."

// grudState is the bookkeeping of a GRU-D run between epochs.
type grudState struct {
	epoch int  // epochs completed
	bad   int  // epochs since the best one
	done  bool // stopped early
}

// ckptModule is what a GRU-D checkpoint holds besides the optimiser: the
// current parameters and the best epoch's copy of them.
type ckptModule struct {
	params []nn.NamedParam
	best   [][]float32
}

func (c ckptModule) Parameters() []nn.NamedParam {
	out := make([]nn.NamedParam, 0, 2*len(c.params))
	out = append(out, c.params...)
	for i, p := range c.params {
		out = append(out, nn.NamedParam{Name: bestPrefix + p.Name, Tensor: &nn.Tensor{Shape: p.Tensor.Shape, Data: c.best[i]}})
	}
	return out
}

// checkpointPath is the checkpoint file of the GRU-D member with this seed.
func checkpointPath(dir string, seed uint64) string {
	return filepath.Join(dir, fmt.Sprintf("grud-seed%d.safetensors", seed))
}

// grudFingerprint hashes everything a GRU-D run depends on: the settings,
// the network's sizes and the training and validation data, so that a
// checkpoint is only resumed by the run that made it.
func grudFingerprint(g *GRUD, trS []*Series, trY []bool, vaS []*Series, vaY []bool, tc TrainConfig) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s seed=%d epochs=%d hidden=%d batch=%d lr=%x patience=%d F=%d S=%d dropout=%x\n",
		checkpointFormat, tc.Seed, tc.Epochs, tc.Hidden, tc.Batch, math.Float64bits(tc.LR), tc.Patience, g.F, g.S, math.Float32bits(g.Dropout))
	var buf [8]byte
	put := func(xs []float64) {
		for _, x := range xs {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			h.Write(buf[:])
		}
	}
	data := func(ss []*Series, ys []bool) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(ss)))
		h.Write(buf[:])
		for i, s := range ss {
			fmt.Fprintf(h, "%d %d %t|", s.T, s.F, ys[i])
			put(s.Values)
			put(s.Mask)
			put(s.Delta)
			put(s.Last)
			put(s.Static)
		}
	}
	data(trS, trY)
	data(vaS, vaY)
	return hex.EncodeToString(h.Sum(nil))
}

// saveGRUDCheckpoint writes the run's state to path atomically.
func saveGRUDCheckpoint(path, fp string, params []nn.NamedParam, best [][]float32, opt *nn.AdamW, info grudInfo, st grudState) error {
	done := "0"
	if st.done {
		done = "1"
	}
	meta := map[string]string{
		metaFormat:      checkpointFormat,
		metaFingerprint: fp,
		metaEpoch:       strconv.Itoa(st.epoch),
		metaBestEpoch:   strconv.Itoa(info.bestEpoch),
		metaBestAUROC:   strconv.FormatFloat(info.valAUROC, 'g', -1, 64),
		metaBad:         strconv.Itoa(st.bad),
		metaDone:        done,
	}
	if err := nn.SaveCheckpointFile(path, ckptModule{params, best}, opt, meta); err != nil {
		return fmt.Errorf("outcome: save checkpoint: %w", err)
	}
	return nil
}

// loadGRUDCheckpoint resumes a run from path into params, best and opt. It
// returns ok false when there is no checkpoint. A checkpoint made with other
// settings or data, or one that is corrupt, is an EINVALID error.
func loadGRUDCheckpoint(path, fp string, params []nn.NamedParam, best [][]float32, opt *nn.AdamW, info *grudInfo, stepsPerEpoch, maxEpochs int) (st grudState, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return grudState{}, false, nil
	}
	if err != nil {
		return grudState{}, false, fmt.Errorf("outcome: resume: %w", err)
	}
	st, err = parseGRUDCheckpoint(path, data, fp, params, best, opt, info, stepsPerEpoch, maxEpochs)
	return st, err == nil, err
}

// parseGRUDCheckpoint is loadGRUDCheckpoint on the bytes data of the file
// path.
func parseGRUDCheckpoint(path string, data []byte, fp string, params []nn.NamedParam, best [][]float32, opt *nn.AdamW, info *grudInfo, stepsPerEpoch, maxEpochs int) (st grudState, err error) {
	bad := func(format string, args ...any) error {
		return galen.Errorf(galen.EINVALID, "outcome: resume from %s: %s", path, fmt.Sprintf(format, args...))
	}
	f, err := safetensors.Load(data)
	if err != nil {
		return grudState{}, fmt.Errorf("outcome: resume from %s: not a readable checkpoint: %w", path, err)
	}
	if got := f.Metadata[metaFormat]; got != checkpointFormat {
		return grudState{}, bad("checkpoint format %q, want %q", got, checkpointFormat)
	}
	if got := f.Metadata[metaFingerprint]; got != fp {
		return grudState{}, bad("checkpoint was made with different settings or data (fingerprint %.12s, this run %.12s); "+
			"delete it or use another checkpoint directory", got, fp)
	}
	meta, err := nn.LoadCheckpoint(data, ckptModule{params, best}, opt)
	if err != nil {
		return grudState{}, fmt.Errorf("outcome: resume from %s: %w", path, err)
	}
	atoi := func(key string, lo, hi int) (int, error) {
		n, err := strconv.Atoi(meta[key])
		if err != nil || n < lo || n > hi {
			return 0, bad("metadata %s=%q, want an integer in [%d, %d]", key, meta[key], lo, hi)
		}
		return n, nil
	}
	if st.epoch, err = atoi(metaEpoch, 0, maxEpochs); err != nil {
		return grudState{}, err
	}
	if info.bestEpoch, err = atoi(metaBestEpoch, 0, st.epoch); err != nil {
		return grudState{}, err
	}
	if st.bad, err = atoi(metaBad, 0, st.epoch); err != nil {
		return grudState{}, err
	}
	// -1 is the value before the first epoch.
	if info.valAUROC, err = strconv.ParseFloat(meta[metaBestAUROC], 64); err != nil || !(info.valAUROC >= -1 && info.valAUROC <= 1) {
		return grudState{}, bad("metadata %s=%q, want a number in [-1, 1]", metaBestAUROC, meta[metaBestAUROC])
	}
	switch meta[metaDone] {
	case "0":
	case "1":
		st.done = true
	default:
		return grudState{}, bad("metadata %s=%q, want 0 or 1", metaDone, meta[metaDone])
	}
	if opt.Steps() != st.epoch*stepsPerEpoch {
		return grudState{}, bad("optimizer has taken %d steps, want %d for %d epochs", opt.Steps(), st.epoch*stepsPerEpoch, st.epoch)
	}
	return st, nil
}
