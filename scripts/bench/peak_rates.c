// Peak multiply-add rates of one core, 512 bits wide: fp32 FMA (vfmadd), BF16 pairs (vdpbf16ps)
// and int8 quads (vpdpbusd), twelve independent accumulators each (issue 18: "past the fp32
// bound"). Not used by hm-dist: it says what exact low-precision products could gain here.
//
//   cc -O2 -o peak_rates scripts/bench/peak_rates.c
//   taskset -c 1 ./peak_rates          # needs AVX-512 F, BW, BF16 and VNNI
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 200000000L
__attribute__((target("avx512f,avx512bf16,avx512vnni,avx512bw")))
int main(){
  __m512 a[12]; for(int i=0;i<12;i++) a[i]=_mm512_set1_ps(0.0f);
  __m512 x=_mm512_set1_ps(1e-9f), y=_mm512_set1_ps(1.0f);
  double t=now();
  for(long i=0;i<N/12;i++){ for(int j=0;j<12;j++) a[j]=_mm512_fmadd_ps(x,y,a[j]); __asm__ volatile("":"+v"(a[0]),"+v"(a[1]),"+v"(a[2]),"+v"(a[3]),"+v"(a[4]),"+v"(a[5]),"+v"(a[6]),"+v"(a[7]),"+v"(a[8]),"+v"(a[9]),"+v"(a[10]),"+v"(a[11]));}
  double tf=now()-t; float s=0; for(int j=0;j<12;j++) s+=_mm512_reduce_add_ps(a[j]);
  __m512bh bx=(__m512bh)_mm512_set1_epi16(0x3f80), by=bx;
  for(int i=0;i<12;i++) a[i]=_mm512_set1_ps(0.0f);
  t=now();
  for(long i=0;i<N/12;i++){ for(int j=0;j<12;j++) a[j]=_mm512_dpbf16_ps(a[j],bx,by); __asm__ volatile("":"+v"(a[0]),"+v"(a[1]),"+v"(a[2]),"+v"(a[3]),"+v"(a[4]),"+v"(a[5]),"+v"(a[6]),"+v"(a[7]),"+v"(a[8]),"+v"(a[9]),"+v"(a[10]),"+v"(a[11]));}
  double tb=now()-t; for(int j=0;j<12;j++) s+=_mm512_reduce_add_ps(a[j]);
  __m512i ia[12]; for(int i=0;i<12;i++) ia[i]=_mm512_setzero_si512();
  __m512i u=_mm512_set1_epi8(1), v=_mm512_set1_epi8(1);
  t=now();
  for(long i=0;i<N/12;i++){ for(int j=0;j<12;j++) ia[j]=_mm512_dpbusd_epi32(ia[j],u,v); __asm__ volatile("":"+v"(ia[0]),"+v"(ia[1]),"+v"(ia[2]),"+v"(ia[3]),"+v"(ia[4]),"+v"(ia[5]),"+v"(ia[6]),"+v"(ia[7]),"+v"(ia[8]),"+v"(ia[9]),"+v"(ia[10]),"+v"(ia[11]));}
  double ti=now()-t; long si=0; for(int j=0;j<12;j++) si+=_mm512_reduce_add_epi32(ia[j]);
  double n=(double)(N/12*12);
  printf("fp32 FMA zmm: %.2f G instr/s = %.1f GMAC/s\n", n/tf/1e9, n*16/tf/1e9);
  printf("bf16 dot zmm: %.2f G instr/s = %.1f GMAC/s\n", n/tb/1e9, n*32/tb/1e9);
  printf("int8 vnni zmm: %.2f G instr/s = %.1f GMAC/s\n", n/ti/1e9, n*64/ti/1e9);
  printf("(%g %ld)\n", s, si);
}
