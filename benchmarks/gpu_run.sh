#!/usr/bin/env bash
# The GPU columns of docs/benchmarks.md, in one time-boxed run on a GPU machine that has
# JAX with CUDA but none of the peers: they travel as wheels in .whl/ (see
# docs/benchmarks.md for the download command). Each part has its own time limit so
# that one slow or failing part leaves the others' results. Results go to $OUT.
#   PARTS="augment ops dropout linear cli" bash benchmarks/gpu_run.sh    (default: all)
# (dropout8k, the MaxNorm cost at batch 8192; fista, solver="fista" against
# solver="cd"; default, the default solver="auto" with 5-fold LassoCV / one path;
# cvprofile, where the CV's time goes; narrowab, the same without FISTA's narrowing to
# its uncertified columns; autotune, float32 without GEMM autotuning; host, the host
# work of a tall fit; cpu16, the CV profile on the machine's CPU cores; cvfloor16, the
# least a 5-fold CV can cost on those cores (cv_floor.py); xlaflag16, the A/B of the XLA
# flag import jreg sets, on those cores; cvsmall, cvprofile without the wide rows;
# fixedstep, cvprofile's wide rows with FISTA's fixed step (the A/B of its adaptive
# steps); fistacost, what one FISTA iteration costs by width and number of vmapped folds
# (fista_iteration_cost.py); and tests, the FISTA/auto and vmapped-CV tests on the GPU:
# run only when named)
# Worst-case wall times (time boxes): augment 80 s, ops 80 s, dropout 150 s, linear
# 270 s, cli 60 s, fista 480 s, default 225 s, cvprofile 300 s, autotune 90 s, narrowab
# 300 s, tests 150 s, dropout8k 80 s, host 60 s, cpu16 150 s, cvfloor16 200 s, xlaflag16
# 150 s, fistacost 180 s, fixedstep 120 s, cvsmall 260 s; one device command may run
# 600 s, so name at most ~540 s of parts per call.
set -u
OUT="${OUT:-benchmarks/results}"
PARTS="${PARTS:-augment ops dropout linear cli}"
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
if part ops; then
  timeout 80 python3 benchmarks/profile_augment_ops.py --device gpu --sizes 224 \
    --hlo-dir "$OUT" > "$OUT/augment_ops_gpu.md" 2>&1
  echo "augment ops: exit $?"
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
  # solver="cd" alone (coordinate descent on the GPU), one process per problem and
  # dtype, each time-boxed, appended to one file per dtype
  for dtype in float32 float64; do
    for problem in tall diabetes wide; do
      timeout 45 python3 benchmarks/bench_linear_model.py --device gpu --dtype $dtype \
        --peers jreg-cd --problems $problem --no-cv --max-seconds 35 \
        >> "$OUT/linear_gpu_$dtype.md" 2>&1
      echo "linear $dtype $problem: exit $?"
    done
  done
fi
if part fista; then
  # solver="fista" (every alpha at once, matrix-matrix products) against solver="cd"
  # in the same process (the same machine's baseline), paths and 5-fold
  # LassoCV of both solvers, one time-boxed process per problem and dtype; CD is left
  # out of wide float64 (it did not finish a path in 45 s on this GPU); scikit-learn's
  # LassoCV (for the alpha_ check) only where it takes seconds
  for dtype in float32 float64; do
    for problem in diabetes tall wide; do
      ref="--cv-sklearn"; [ "$problem" = wide ] && ref=""
      peers="jreg-fista,jreg-cd"; [ "$problem-$dtype" = wide-float64 ] && peers="jreg-fista"
      timeout 80 python3 benchmarks/bench_linear_model.py --device gpu --dtype $dtype \
        --peers $peers --problems $problem --max-seconds 70 --peer-seconds 20 $ref \
        >> "$OUT/linear_fista_gpu_$dtype.md" 2>&1
      echo "fista $dtype $problem: exit $?"
    done
  done
fi
if part default; then
  # the default solver="auto" (on a GPU: FISTA, finished by coordinate descent), paths
  # and 5-fold LassoCV / path, one time-boxed process per problem and dtype
  for dtype in float32 float64; do
    for problem in tall diabetes wide; do
      [ "$problem-$dtype" = wide-float64 ] && continue
      ref="--cv-sklearn"; [ "$problem" = wide ] && ref=""
      timeout 45 python3 benchmarks/bench_linear_model.py --device gpu --dtype $dtype \
        --peers jreg --problems $problem --max-seconds 38 --peer-seconds 15 $ref \
        >> "$OUT/linear_default_gpu_$dtype.md" 2>&1
      echo "default $dtype $problem: exit $?"
    done
  done
fi
if part autotune; then
  # float32 compile time without XLA's GEMM autotuning (compare with part cvprofile)
  XLA_FLAGS=--xla_gpu_autotune_level=0 timeout 90 python3 benchmarks/profile_cv.py \
    --device gpu --dtype float32 --max-iter 1000 --problems tall \
    > "$OUT/cv_profile_gpu_float32_autotune0.md" 2>&1
  echo "cv profile float32 autotune 0: exit $?"
fi
if part cvprofile; then
  # where a 5-fold LassoCV.fit's time goes (CV program, refit, host) against one path,
  # with first-call (compile) times; float32 at scikit-learn's max_iter=1000, so that a
  # column float32 cannot certify shows as a warning rather than a run past the box
  timeout 170 python3 benchmarks/profile_cv.py --device gpu --dtype float64 \
    > "$OUT/cv_profile_gpu_float64.md" 2>&1
  echo "cv profile float64: exit $?"
  timeout 130 python3 benchmarks/profile_cv.py --device gpu --dtype float32 --max-iter 1000 \
    > "$OUT/cv_profile_gpu_float32.md" 2>&1
  echo "cv profile float32: exit $?"
fi
if part cvsmall; then
  # cvprofile's tall and diabetes rows only (no wide), both dtypes; then diabetes with a
  # refit instead of the full-data lane (--no-full-lane), the A/B of that lane
  timeout 90 python3 benchmarks/profile_cv.py --device gpu --dtype float64 \
    --problems tall,diabetes > "$OUT/cv_profile_gpu_float64_small.md" 2>&1
  echo "cv profile float64 tall, diabetes: exit $?"
  timeout 90 python3 benchmarks/profile_cv.py --device gpu --dtype float32 --max-iter 1000 \
    --problems tall,diabetes > "$OUT/cv_profile_gpu_float32_small.md" 2>&1
  echo "cv profile float32 tall, diabetes: exit $?"
  for dtype in float64 float32; do
    timeout 40 python3 benchmarks/profile_cv.py --device gpu --dtype $dtype --max-iter 1000 \
      --problems diabetes --no-full-lane > "$OUT/cv_profile_gpu_${dtype}_refit.md" 2>&1
    echo "cv profile $dtype diabetes with a refit: exit $?"
  done
fi
if part fixedstep; then
  # A/B of FISTA's adaptive steps: cvprofile's wide rows with the fixed step (compare with
  # part cvprofile of the same call; same boxes and max_iter)
  timeout 70 python3 benchmarks/profile_cv.py --device gpu --dtype float64 --problems wide \
    --fixed-step > "$OUT/cv_profile_gpu_float64_fixed_step.md" 2>&1
  echo "cv profile float64 fixed step: exit $?"
  timeout 50 python3 benchmarks/profile_cv.py --device gpu --dtype float32 --max-iter 1000 \
    --problems wide --fixed-step > "$OUT/cv_profile_gpu_float32_fixed_step.md" 2>&1
  echo "cv profile float32 fixed step: exit $?"
fi
if part narrowab; then
  # A/B of FISTA's narrowing to its uncertified columns: cvprofile without it (compare
  # with part cvprofile of the same call; same boxes and max_iter)
  timeout 170 python3 benchmarks/profile_cv.py --device gpu --dtype float64 --no-narrow \
    > "$OUT/cv_profile_gpu_float64_no_narrow.md" 2>&1
  echo "cv profile float64 no narrow: exit $?"
  timeout 130 python3 benchmarks/profile_cv.py --device gpu --dtype float32 --max-iter 1000 \
    --no-narrow > "$OUT/cv_profile_gpu_float32_no_narrow.md" 2>&1
  echo "cv profile float32 no narrow: exit $?"
fi
if part host; then
  # the host work of a tall LassoCV fit and path (validation, grid, transfer, cProfile)
  timeout 60 python3 benchmarks/profile_host.py --device gpu > "$OUT/host_gpu.md" 2>&1
  echo "host: exit $?"
fi
if part cpu16; then
  # the CV profile on the GPU machine's CPU cores (coordinate descent, folds in threads)
  JAX_PLATFORMS=cpu timeout 150 python3 benchmarks/profile_cv.py \
    --problems tall,mid,wide,diabetes > "$OUT/cv_profile_cpu_cores.md" 2>&1
  echo "cv profile cpu: exit $?"
fi
if part cvfloor16; then
  # the floor of a 5-fold CV (Gram matrix + the folds' best schedule) on the CPU cores
  JAX_PLATFORMS=cpu timeout 200 python3 benchmarks/cv_floor.py --repeats 3 \
    > "$OUT/cv_floor_cpu_cores.md" 2>&1
  echo "cv floor cpu: exit $?"
fi
if part xlaflag16; then
  # paths with and without the XLA flag of jreg/_xla_flags.py, on the CPU cores
  JAX_PLATFORMS=cpu timeout 150 python3 benchmarks/ab_xla_flag.py --rounds 2 --repeats 3 \
    > "$OUT/ab_xla_flag_cpu_cores.md" 2>&1
  echo "xla flag A/B cpu: exit $?"
fi
if part fistacost; then
  # one FISTA iteration's cost on the GPU, path (1) against 5 vmapped folds, by width
  timeout 120 python3 benchmarks/fista_iteration_cost.py --device gpu --problems wide,tall --widths 100,25 \
    > "$OUT/fista_iteration_cost_gpu.md" 2>&1
  echo "fista iteration cost: exit $?"
  # where an iteration of five wide float64 folds goes, kernel by kernel
  timeout 60 python3 benchmarks/fista_iteration_cost.py --device gpu --problems wide \
    --dtypes float64 --folds 5 --widths 100 --trace 25 \
    > "$OUT/fista_iteration_trace_gpu.md" 2>&1
  echo "fista iteration trace: exit $?"
fi
if part tests; then
  # the FISTA / solver="auto" tests on the GPU (CI has no accelerator), and coordinate
  # descent's full sweeps (FISTA's finish on diabetes-sized problems there)
  XLA_PYTHON_CLIENT_PREALLOCATE=false timeout 150 python3 -m pytest -p no:cacheprovider \
    -q -n 4 tests/test_solvers_fista_path.py tests/test_linear_model.py tests/test_solvers.py \
    -k "fista or FISTA or auto or vmap or full_data_lane or full_sweep or refits" \
    > "$OUT/tests_gpu.log" 2>&1
  echo "tests: exit $?"
fi
if part dropout8k; then
  timeout 80 python3 benchmarks/bench_dropout.py --width 4096 --batch 8192 --repeats 5 \
    --only "MaxNorm" > "$OUT/dropout_gpu_8k.md" 2>&1
  echo "dropout batch 8192: exit $?"
fi
if part cli; then
  timeout 30 python3 -m jreg bench --dtype float32 --n-samples 10000 --n-features 2000 \
    > "$OUT/jreg_bench_gpu.md" 2>&1
  echo "jreg bench: exit $?"
  timeout 30 python3 -m jreg bench --dtype float32 --n-samples 10000 --n-features 2000 \
    --solver cd > "$OUT/jreg_bench_cd_gpu.md" 2>&1
  echo "jreg bench cd: exit $?"
fi
tail -n 5 "$OUT"/*.md
