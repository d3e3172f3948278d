package extract

import (
	"context"
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// externalDataDirKey tells ORT where to resolve external-data files when a
// model is loaded from memory.
const externalDataDirKey = "session.model_external_initializers_file_folder_path"

// ortSession is one ORT session plus its run options (for cancellation).
type ortSession struct {
	s   *ort.DynamicAdvancedSession
	run *ort.RunOptions
}

// sessionPool hands out a fixed set of sessions, one caller at a time each.
type sessionPool struct {
	rt      *Runtime
	input   string
	outputs []string
	free    chan *ortSession
	all     []*ortSession
	once    sync.Once
}

// newSessionPool creates n sessions for the (already rewritten) model bytes.
func newSessionPool(rt *Runtime, model []byte, modelDir, input string, outputs []string, n, threads int) (*sessionPool, error) {
	if err := rt.acquire(); err != nil {
		return nil, err
	}
	defer rt.release()
	p := &sessionPool{rt: rt, input: input, outputs: outputs, free: make(chan *ortSession, n)}
	for range n {
		so, err := rt.newSessionOptions(threads)
		if err != nil {
			p.destroyLocked()
			return nil, err
		}
		if modelDir != "" {
			_ = so.AddSessionConfigEntry(externalDataDirKey, modelDir)
		}
		s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{input}, outputs, so)
		so.Destroy()
		if err != nil {
			p.destroyLocked()
			return nil, fmt.Errorf("%w: creating ONNX Runtime session: %v", ErrBadModel, err)
		}
		ro, err := ort.NewRunOptions()
		if err != nil {
			s.Destroy()
			p.destroyLocked()
			return nil, fmt.Errorf("%w: %v", ErrRuntimeUnavailable, err)
		}
		os := &ortSession{s: s, run: ro}
		p.all = append(p.all, os)
		p.free <- os
	}
	return p, nil
}

// run executes one batch of n items (input laid out per shape) and copies
// every output into a Tensor. ctx cancellation terminates the ORT run.
func (p *sessionPool) run(ctx context.Context, input []float32, shape []int64) (map[string]*Tensor, error) {
	return p.runWant(ctx, input, shape, nil)
}

// runWant is run copying only the outputs whose want[i] is true (all when
// want is nil): copying out an unused feature map costs more than some
// layers.
func (p *sessionPool) runWant(ctx context.Context, input []float32, shape []int64, want []bool) (map[string]*Tensor, error) {
	var s *ortSession
	select {
	case s = <-p.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { p.free <- s }()
	if err := p.rt.acquire(); err != nil {
		return nil, err
	}
	defer p.rt.release()

	in, err := ort.NewTensor(ort.Shape(shape), input)
	if err != nil {
		return nil, fmt.Errorf("%w: input tensor %v: %v", ErrBadInput, shape, err)
	}
	defer in.Destroy()
	outs := make([]ort.Value, len(p.outputs))
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.Destroy()
			}
		}
	}()
	stop := context.AfterFunc(ctx, func() { _ = s.run.Terminate() })
	err = s.s.RunWithOptions([]ort.Value{in}, outs, s.run)
	if !stop() {
		_ = s.run.UnsetTerminate()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: running model: %v", ErrBadModel, err)
	}
	res := make(map[string]*Tensor, len(outs))
	for i, o := range outs {
		if want != nil && (i >= len(want) || !want[i]) {
			continue
		}
		t, ok := o.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("%w: output %q is not a float32 tensor", ErrBadModel, p.outputs[i])
		}
		res[p.outputs[i]] = &Tensor{
			Name:  p.outputs[i],
			Shape: append([]int64(nil), t.GetShape()...),
			Data:  append([]float32(nil), t.GetData()...),
		}
	}
	return res, nil
}

// close destroys every session once; callers must have stopped using them.
// If the Runtime is already closed the native objects died with it.
func (p *sessionPool) close() {
	p.once.Do(func() {
		if err := p.rt.acquire(); err != nil {
			return
		}
		defer p.rt.release()
		p.destroyLocked()
	})
}

func (p *sessionPool) destroyLocked() {
	for _, s := range p.all {
		s.s.Destroy()
		s.run.Destroy()
	}
	p.all = nil
}
