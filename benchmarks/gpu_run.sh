#!/usr/bin/env bash
# The GPU columns of docs/benchmarks.md, in one time-boxed run on a GPU machine that has
# JAX with CUDA but none of the peers: they travel as wheels in .whl/ (see
# docs/benchmarks.md for the download command). Each part has its own time limit so
# that one slow or failing part leaves the others' results. Results go to $OUT.
#   PARTS="augment dropout linear cli" bash benchmarks/gpu_run.sh     (default: all)
set -u
OUT="${OUT:-benchmarks/results}"
PARTS="${PARTS:-augment dropout linear cli}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 KERAS_BACKEND=jax
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH="/tmp/site:$PWD"
else
  export PYTHONPATH="$PWD"
fi
{ nvidia-smi -L; python3 -c "import jax; print('jax', jax.__version__, jax.devices())"; } \
  2>&1 | tee "$OUT/device.txt"

part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if part augment; then
  timeout 80 python3 benchmarks/bench_augment.py --device gpu --budget 60 --repeats 5 \
    --no-policies --output "$OUT/augment_gpu.md" > "$OUT/augment_gpu.log" 2>&1
  echo "augment: exit $?"
fi
if part dropout; then
  timeout 60 python3 benchmarks/bench_dropout.py > "$OUT/dropout_gpu.md" 2>&1
  echo "dropout: exit $?"
  # the large model of docs/nn.md, with the penalty/constraint variants only
  timeout 90 python3 benchmarks/bench_dropout.py --width 4096 --batch 2048 \
    --only "L2,MaxNorm" > "$OUT/dropout_gpu_large.md" 2>&1
  echo "dropout large: exit $?"
fi
if part linear; then
  timeout 70 python3 benchmarks/bench_linear_model.py --device gpu --dtype float64 \
    --peers jreg,jaxopt --problems wide,diabetes --max-seconds 55 --peer-seconds 20 \
    --output "$OUT/linear_gpu_f64.md" > "$OUT/linear_gpu_f64.log" 2>&1
  echo "linear float64: exit $?"
  timeout 50 python3 benchmarks/bench_linear_model.py --device gpu --dtype float32 \
    --peers jreg,jaxopt --max-seconds 35 --peer-seconds 15 --no-cv \
    --output "$OUT/linear_gpu_f32.md" > "$OUT/linear_gpu_f32.log" 2>&1
  echo "linear float32: exit $?"
fi
if part cli; then
  timeout 30 python3 -m jreg bench --dtype float32 --n-samples 10000 --n-features 2000 \
    > "$OUT/jreg_bench_gpu.md" 2>&1
  echo "jreg bench: exit $?"
fi
tail -n 5 "$OUT"/*.md
