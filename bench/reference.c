/*
 * The C reference of `digit-train bench --compare-reference`: the default training workload
 * written plainly in C, to be compiled with `cc -O3 -march=native` on the machine at hand.
 *
 *   784-HID-10, sigmoid hidden and output layers, quadratic cost, mini-batch SGD with η = 3 and
 *   m = 10 on the first TRAIN images of MNIST's training file (50,000 by default), reshuffled
 *   every epoch; after every epoch the 10,000 test images are evaluated.
 *
 * It draws from the same generator as src/nn/random.ts (mulberry32, Box–Muller) in the same order
 * as src/nn/network.ts `initialize` (network.py's: every bias layer by layer, then every weight,
 * W row by row as w_jk) and shuffles as src/train/train.ts does (the identity, then Fisher–Yates),
 * so the same seed starts from the same network and visits the same mini-batches. The step is
 * the arithmetic of the fast backend (src/nn/fast/), in the same order of additions per unit:
 *   z1_j = b1_j + Σ_{i : x_i ≠ 0} x_i · W1[i][j]          (zero pixels skipped, pixel order)
 *   z2_o = b2_o + Σ_j a1_j · W2[j][o]
 *   δ2 = (a2 − y) ⊙ a2(1 − a2),  δ1 = (W2 δ2) ⊙ a1(1 − a1),  both then scaled by −η/m
 *   b += Σ_x δ_x (example order),  W[i][j] += a_i · δ_j  (example by example)
 * Both weight matrices are stored input-major (row i holds the weights leaving input i), so every
 * hot loop runs across hidden units j, which the compiler vectorises without reordering any sum.
 *
 * Build-time options:
 *   -DREAL=double|float   precision (default double)
 *   -DHID=n               hidden units (default 30)
 *   -DHP=n                row width in memory, HP ≥ HID (default HID): padding units with zero
 *                         weights, zero bias and activation 0, which add exact zeros and are
 *                         never updated, so they change no real unit's arithmetic
 *
 * Usage:  reference DATA_DIR [EPOCHS=1] [SEED=1] [TRAIN=50000]   (raw IDX files in DATA_DIR;
 *         TRAIN a multiple of the batch)
 * Prints one line per epoch:
 *   epoch 1 train_s 0.1234 eval_s 0.0123 acc 9012/10000 90.12%
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef REAL
#define REAL double
#endif
#ifndef HID
#define HID 30
#endif
#ifndef HP
#define HP HID
#endif
#if HP < HID
#error "HP must be at least HID"
#endif
#define NIN 784
#define NOUT 10
#define BATCH 10
#define NTEST 10000
#define ETA 3.0

typedef REAL real;

/* mulberry32 and Box–Muller, as src/nn/random.ts */
static uint32_t state;
static double next_uniform(void) {
  state += 0x6d2b79f5u;
  uint32_t t = state;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return (double)(t ^ (t >> 14)) / 4294967296.0;
}
static double next_gauss(void) {
  double u1 = next_uniform();
  double u2 = next_uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* A data set as lists of non-zero pixels: example e owns entries start[e] .. start[e+1]). */
struct set {
  int count;
  int *start;
  int *row;    /* pixel index i times HP: the offset of row i of W1 */
  real *value; /* the pixel scaled to [0, 1] */
  unsigned char *label;
};

static unsigned char *read_all(const char *dir, const char *name, size_t *size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *bytes = malloc(*size);
  if (!bytes || fread(bytes, 1, *size, f) != *size) { fprintf(stderr, "%s: cannot read\n", path); exit(1); }
  fclose(f);
  return bytes;
}

static uint32_t big_endian(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static struct set load_set(const char *dir, const char *images, const char *labels, int count) {
  size_t ni, nl;
  unsigned char *img = read_all(dir, images, &ni);
  unsigned char *lab = read_all(dir, labels, &nl);
  if (ni < 16 || big_endian(img) != 2051 || big_endian(img + 8) * big_endian(img + 12) != NIN || (int)big_endian(img + 4) < count ||
      nl < 8 || big_endian(lab) != 2049 || (int)big_endian(lab + 4) < count) {
    fprintf(stderr, "%s/%s: not %d MNIST images with labels\n", dir, images, count);
    exit(1);
  }
  struct set s = { count, malloc(sizeof(int) * (count + 1)), NULL, NULL, malloc(count) };
  size_t nz = 0;
  for (size_t p = 0; p < (size_t)count * NIN; p++) nz += img[16 + p] != 0;
  s.row = malloc(sizeof(int) * nz);
  s.value = malloc(sizeof(real) * nz);
  size_t q = 0;
  for (int e = 0; e < count; e++) {
    s.start[e] = (int)q;
    for (int i = 0; i < NIN; i++) {
      unsigned char v = img[16 + (size_t)e * NIN + i];
      if (v) { s.row[q] = i * HP; s.value[q] = (real)v / (real)255; q++; }
    }
  }
  s.start[count] = (int)q;
  memcpy(s.label, lab + 8, count);
  free(img);
  free(lab);
  return s;
}

static real W1[NIN * HP] __attribute__((aligned(64))); /* W1[i*HP + j]: input pixel i to hidden unit j */
static real b1[HP] __attribute__((aligned(64)));
static real W2[HP * NOUT] __attribute__((aligned(64))); /* W2[j*NOUT + o]: hidden unit j to output o */
static real b2[NOUT];

static inline real sigmoid(real z) {
  if (sizeof(real) == sizeof(float)) return 1.0f / (1.0f + expf(-(float)z));
  return 1.0 / (1.0 + exp(-(double)z));
}

/* z1, a1 (HP each) and a2 (NOUT) of example e */
static void forward(const struct set *s, int e, real *restrict z1, real *restrict a1, real *restrict a2) {
  for (int j = 0; j < HP; j++) z1[j] = b1[j];
  for (int q = s->start[e]; q < s->start[e + 1]; q++) {
    const real v = s->value[q];
    const real *restrict w = W1 + s->row[q];
    for (int j = 0; j < HP; j++) z1[j] += v * w[j];
  }
  for (int j = 0; j < HID; j++) a1[j] = sigmoid(z1[j]);
  for (int j = HID; j < HP; j++) a1[j] = 0;
  real z2[NOUT];
  for (int o = 0; o < NOUT; o++) z2[o] = b2[o];
  for (int j = 0; j < HP; j++) {
    const real a = a1[j];
    for (int o = 0; o < NOUT; o++) z2[o] += W2[j * NOUT + o] * a;
  }
  for (int o = 0; o < NOUT; o++) a2[o] = sigmoid(z2[o]);
}

/* one SGD step on the examples ex[0 .. BATCH) */
static void train_batch(const struct set *s, const int *ex) {
  static real z1[BATCH][HP] __attribute__((aligned(64)));
  static real a1[BATCH][HP] __attribute__((aligned(64)));
  static real d1[BATCH][HP] __attribute__((aligned(64)));
  real a2[BATCH][NOUT], d2[BATCH][NOUT];
  const real scale = (real)(-ETA / BATCH);
  for (int x = 0; x < BATCH; x++) {
    forward(s, ex[x], z1[x], a1[x], a2[x]);
    const int y = s->label[ex[x]];
    for (int o = 0; o < NOUT; o++) d2[x][o] = (a2[x][o] - (o == y ? (real)1 : (real)0)) * (a2[x][o] * ((real)1 - a2[x][o]));
    for (int j = 0; j < HP; j++) {
      real sum = 0;
      for (int o = 0; o < NOUT; o++) sum += W2[j * NOUT + o] * d2[x][o];
      d1[x][j] = sum * (a1[x][j] * ((real)1 - a1[x][j]));
    }
    for (int o = 0; o < NOUT; o++) d2[x][o] *= scale;
    for (int j = 0; j < HP; j++) d1[x][j] *= scale;
  }
  for (int x = 0; x < BATCH; x++)
    for (int o = 0; o < NOUT; o++) b2[o] += d2[x][o];
  for (int x = 0; x < BATCH; x++)
    for (int j = 0; j < HP; j++) {
      const real a = a1[x][j];
      for (int o = 0; o < NOUT; o++) W2[j * NOUT + o] += a * d2[x][o];
    }
  for (int x = 0; x < BATCH; x++)
    for (int j = 0; j < HP; j++) b1[j] += d1[x][j];
  for (int x = 0; x < BATCH; x++) {
    const real *restrict d = d1[x];
    for (int q = s->start[ex[x]]; q < s->start[ex[x] + 1]; q++) {
      const real v = s->value[q];
      real *restrict w = W1 + s->row[q];
      for (int j = 0; j < HP; j++) w[j] += v * d[j];
    }
  }
}

static int evaluate(const struct set *s) {
  real z1[HP] __attribute__((aligned(64))), a1[HP] __attribute__((aligned(64))), a2[NOUT];
  int correct = 0;
  for (int e = 0; e < s->count; e++) {
    forward(s, e, z1, a1, a2);
    int best = 0;
    for (int o = 1; o < NOUT; o++) if (a2[o] > a2[best]) best = o;
    correct += best == s->label[e];
  }
  return correct;
}

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 5) {
    fprintf(stderr, "usage: %s DATA_DIR [EPOCHS=1] [SEED=1] [TRAIN=50000]\n", argv[0]);
    return 2;
  }
  const int epochs = argc > 2 ? atoi(argv[2]) : 1;
  state = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1u;
  const int n = argc > 4 ? atoi(argv[4]) : 50000;
  if (epochs < 1 || n < BATCH || n > 60000 || n % BATCH) {
    fprintf(stderr, "%s: EPOCHS must be at least 1 and TRAIN a multiple of %d up to 60000\n", argv[0], BATCH);
    return 2;
  }
  const struct set train = load_set(argv[1], "train-images-idx3-ubyte", "train-labels-idx1-ubyte", n);
  const struct set test = load_set(argv[1], "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", NTEST);

  /* network.py's order: biases layer by layer, then weights layer by layer, row j by row */
  for (int j = 0; j < HID; j++) b1[j] = (real)next_gauss();
  for (int o = 0; o < NOUT; o++) b2[o] = (real)next_gauss();
  for (int j = 0; j < HID; j++)
    for (int i = 0; i < NIN; i++) W1[i * HP + j] = (real)next_gauss();
  for (int o = 0; o < NOUT; o++)
    for (int j = 0; j < HID; j++) W2[j * NOUT + o] = (real)next_gauss();

  int *order = malloc(sizeof(int) * n);
  for (int epoch = 1; epoch <= epochs; epoch++) {
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = n - 1; i > 0; i--) { /* Fisher–Yates, as Random.shuffle */
      const int j = (int)(next_uniform() * (i + 1));
      const int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const double t0 = seconds();
    for (int b = 0; b < n; b += BATCH) train_batch(&train, order + b);
    const double t1 = seconds();
    const int correct = evaluate(&test);
    const double t2 = seconds();
    printf("epoch %d train_s %.4f eval_s %.4f acc %d/%d %.2f%%\n", epoch, t1 - t0, t2 - t1, correct, NTEST, 100.0 * correct / NTEST);
    fflush(stdout);
  }
  return 0;
}
