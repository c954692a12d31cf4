// Reference vectors from llama.cpp's libggml-base (node-llama-cpp binaries).
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <math.h>
struct ggml_init_params { size_t mem_size; void *mem_buffer; bool no_alloc; };
void *ggml_init(struct ggml_init_params p);
size_t ggml_quantize_chunk(int type, const float *src, void *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix);
typedef void (*deq_t)(const void *x, float *y, int64_t k);
void dequantize_row_q4_0(const void*, float*, int64_t);
void dequantize_row_q4_1(const void*, float*, int64_t);
void dequantize_row_q5_0(const void*, float*, int64_t);
void dequantize_row_q5_1(const void*, float*, int64_t);
void dequantize_row_q8_0(const void*, float*, int64_t);
void dequantize_row_q2_K(const void*, float*, int64_t);
void dequantize_row_q3_K(const void*, float*, int64_t);
void dequantize_row_q4_K(const void*, float*, int64_t);
void dequantize_row_q5_K(const void*, float*, int64_t);
void dequantize_row_q6_K(const void*, float*, int64_t);

#define ROWS 24
#define COLS 512
static uint64_t st = 0x9E3779B97F4A7C15ull;
static double urand(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return (st >> 11) * (1.0 / 9007199254740992.0); }
static double nrand(void) { double u = urand(), v = urand(); if (u < 1e-300) u = 1e-300; return sqrt(-2 * log(u)) * cos(2 * M_PI * v); }

static uint32_t crc32(const void *p, size_t n) {
    const uint8_t *b = p; uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) { c ^= b[i]; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1)); }
    return ~c;
}
static void save(const char *name, const void *p, size_t n) { FILE *f = fopen(name, "wb"); fwrite(p, 1, n, f); fclose(f); }

int main(void) {
    struct ggml_init_params ip = { 1 << 20, NULL, false };
    ggml_init(ip);  // builds the fp16 table; without it the quantizers skip the requantize step
    static float x[ROWS * COLS];
    for (int r = 0; r < ROWS; r++) {
        float *row = x + r * COLS;
        for (int i = 0; i < COLS; i++) {
            double v;
            switch (r) {
                case 0: v = 0; break;                                   // all zero
                case 1: v = 0.25; break;                                // constant positive
                case 2: v = -1.5; break;                                // constant negative
                case 3: v = fabs(nrand()) * 0.05; break;                // all positive
                case 4: v = -fabs(nrand()) * 0.05; break;               // all negative
                case 5: v = (i % 256 < 128) ? 0 : nrand(); break;       // half zero
                case 6: v = nrand() * 1e-3 * ((i % 37 == 0) ? 100 : 1); break; // outliers
                case 7: v = ((i % 33) - 16) * 0.125; break;             // exact grid values (ties)
                case 8: v = nrand() * 1e-20; break;                     // tiny
                case 9: v = nrand() * 1000; break;                      // large
                case 10: v = (i % 32 == 5) ? 3.0 : 0; break;            // sparse
                case 11: v = (i % 16 == 0) ? -2.0 : 0.001 * (i % 7); break;
                default: v = nrand() * (0.02 + 0.01 * r); break;         // normal weights
            }
            row[i] = (float) v;
        }
    }
    save("input.f32", x, sizeof x);
    struct { int type; const char *name; size_t bpb; int bs; deq_t deq; } T[] = {
        {2, "q4_0", 18, 32, dequantize_row_q4_0}, {3, "q4_1", 20, 32, dequantize_row_q4_1},
        {6, "q5_0", 22, 32, dequantize_row_q5_0}, {7, "q5_1", 24, 32, dequantize_row_q5_1},
        {8, "q8_0", 34, 32, dequantize_row_q8_0}, {10, "q2_k", 84, 256, dequantize_row_q2_K},
        {11, "q3_k", 110, 256, dequantize_row_q3_K}, {12, "q4_k", 144, 256, dequantize_row_q4_K},
        {13, "q5_k", 176, 256, dequantize_row_q5_K}, {14, "q6_k", 210, 256, dequantize_row_q6_K},
    };
    FILE *crc = fopen("dequant-crc32.txt", "w");
    fprintf(crc, "# type row crc32-of-ggml-dequantized-row-f32-LE (input.f32 rows of 512, quantized by ggml_quantize_chunk)\n");
    for (unsigned t = 0; t < sizeof T / sizeof T[0]; t++) {
        size_t rowBytes = COLS / T[t].bs * T[t].bpb;
        uint8_t *q = calloc(ROWS, rowBytes);
        size_t n = ggml_quantize_chunk(T[t].type, x, q, 0, ROWS, COLS, NULL);
        if (n != ROWS * rowBytes) { fprintf(stderr, "%s: size %zu\n", T[t].name, n); return 1; }
        float *y = malloc(sizeof x);
        for (int r = 0; r < ROWS; r++) T[t].deq(q + r * rowBytes, y + r * COLS, COLS);
        char fn[64];
        snprintf(fn, sizeof fn, "%s.q", T[t].name); save(fn, q, ROWS * rowBytes);
        for (int r = 0; r < ROWS; r++) fprintf(crc, "%s %d %08x\n", T[t].name, r, crc32(y + r * COLS, COLS * 4));
        free(q); free(y);
    }
    fclose(crc);
    puts("ok");
    return 0;
}
