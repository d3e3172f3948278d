// Produces centernet_reference.json: outputs of the original TFJS centernet
// graph model (pure-JS @tensorflow/tfjs, CPU backend) on a deterministic
// input, used by TestCenternetMatchesTFJS.
//
// Regenerate (from a scratch directory outside the repo):
//   npm install --ignore-scripts @tensorflow/tfjs@4.22.0
//   node <repo>/extract/tfjs/testdata/tfjs_reference.js <dir with centernet.json+.bin> > centernet_reference.json
const fs = require('fs');
const path = require('path');
const tf = require(require.resolve('@tensorflow/tfjs', { paths: [process.cwd()] }));

const dir = process.argv[2];
const model = JSON.parse(fs.readFileSync(path.join(dir, 'centernet.json'), 'utf8'));
// Let the graph accept other input sizes (the backbone is fully convolutional).
for (const n of model.modelTopology.node) {
  if (n.op === 'Placeholder' && n.attr && n.attr.shape) n.attr.shape.shape.dim.forEach((d, i) => { if (i === 1 || i === 2) d.size = '-1'; });
}
const specs = [];
const bufs = [];
for (const g of model.weightsManifest) {
  specs.push(...g.weights);
  for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
}
const all = Buffer.concat(bufs);
const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);

// pixel value of the deterministic test image (RGB 0..255)
function pixel(h, w, c) { return (h * 7 + w * 13 + c * 29 + ((h * w) % 17) * 5) % 256; }
function input(size) {
  const d = new Float32Array(size * size * 3);
  for (let h = 0; h < size; h++) for (let w = 0; w < size; w++) for (let c = 0; c < 3; c++) d[(h * size + w) * 3 + c] = pixel(h, w, c);
  return tf.tensor4d(d, [1, size, size, 3]);
}
function summary(t) {
  const v = t.dataSync();
  let sum = 0, abs = 0;
  for (const x of v) { sum += x; abs += Math.abs(x); }
  const samples = [];
  const n = 24;
  for (let i = 0; i < n; i++) { const k = Math.floor((i * (v.length - 1)) / (n - 1)); samples.push([k, v[k]]); }
  return { shape: t.shape, mean: sum / v.length, abs_mean: abs / v.length, samples };
}

(async () => {
  await tf.setBackend('cpu');
  const g = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs: specs, weightData, format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy }));
  const out = { generator: 'extract/tfjs/testdata/tfjs_reference.js', tfjs: tf.version.tfjs, backend: tf.getBackend(), input: 'NHWC RGB, value (h*7 + w*13 + c*29 + ((h*w)%17)*5) % 256', layout: 'TF NHWC, flat row-major indices', runs: [] };
  const runs = [
    { size: 512, nodes: ['tower_0/keypoints', 'tower_0/wh', 'tower_0/MobilenetV3/expanded_conv_11/depthwise/hard_swish/mul_1', 'tower_0/MobilenetV3/expanded_conv_13/depthwise/hard_swish/mul_1'] },
    { size: 224, nodes: ['tower_0/MobilenetV3/expanded_conv_11/depthwise/hard_swish/mul_1', 'tower_0/MobilenetV3/expanded_conv_12/depthwise/hard_swish/mul_1', 'tower_0/MobilenetV3/expanded_conv_13/depthwise/hard_swish/mul_1'] },
  ];
  for (const r of runs) {
    const x = input(r.size);
    const res = g.execute({ 'tower_0/images': x }, r.nodes);
    const outs = {};
    r.nodes.forEach((n, i) => { outs[n] = summary(res[i]); });
    out.runs.push({ size: r.size, outputs: outs });
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
})();
