package understand

import "github.com/reef-ml/reef/analysis"

// objectsKey is the metadata key of per-object values (the view reads it).
const objectsKey = "objects"

// objectOutcomes is what detection writes under <name>.objects: each
// label's and inference's outcome keyed by object id (tp, spurious,
// missed, class_confusion, localisation, duplicate). The view reads a
// metadata map named "objects" as per-object values: at object level each
// object is coloured by column <name>.object.
func objectOutcomeMeta(labels, infs []analysis.Object, ev analysis.DatapointEval) map[string]string {
	if len(labels)+len(infs) == 0 {
		return nil
	}
	out := make(map[string]string, len(labels)+len(infs))
	for i, o := range labels {
		out[o.ID] = ev.Labels[i].Outcome.String()
	}
	for i, o := range infs {
		out[o.ID] = ev.Inferences[i].Outcome.String()
	}
	return out
}
