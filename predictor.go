package galen

import "context"

// Tensor datatypes of the Open Inference Protocol v2 that Galen supports.
const (
	DatatypeBOOL  = "BOOL"
	DatatypeINT32 = "INT32"
	DatatypeINT64 = "INT64"
	DatatypeUINT8 = "UINT8"
	DatatypeFP32  = "FP32"
	DatatypeFP64  = "FP64"
	DatatypeBYTES = "BYTES"
)

// Tensor is one named input or output of an inference, in row-major order.
// Exactly one of the data fields is used, the one that fits Datatype:
// FP32 and FP64 use Floats, BOOL/INT32/INT64/UINT8 use Ints, BYTES uses Strings.
type Tensor struct {
	Name     string    `json:"name"`
	Datatype string    `json:"datatype"`
	Shape    []int64   `json:"shape"`
	Floats   []float64 `json:"-"`
	Ints     []int64   `json:"-"`
	Strings  []string  `json:"-"`
}

// TensorSpec describes one input or output a model takes or gives; -1 in
// Shape means any size along that axis.
type TensorSpec struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// Predictor runs inference for one loaded model version. Implementations
// must be safe for concurrent use.
type Predictor interface {
	// Inputs and Outputs describe the tensors Infer takes and returns.
	Inputs() []TensorSpec
	Outputs() []TensorSpec
	// Infer runs the model. It returns EINVALID, naming the tensor, for a
	// missing input or a wrong shape or datatype, and ctx.Err() when cancelled.
	Infer(ctx context.Context, inputs []Tensor) ([]Tensor, error)
}

// Loader builds a Predictor from a stored artifact. Task packages register
// one Loader per artifact format (ModelVersion.Format).
type Loader func(ctx context.Context, v *ModelVersion, artifact []byte) (Predictor, error)
