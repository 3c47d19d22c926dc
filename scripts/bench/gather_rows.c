// Products with a 0/1 left operand, gathered on its ones, against OpenBLAS's sgemm on B1's
// shapes and densities (issue 18: "past the fp32 bound"). Not used by hm-dist: it measures
// whether gathering pays on this CPU. Index building (AVX2 compare + movemask) is included.
//
//   cc -O3 -o gather_rows scripts/bench/gather_rows.c -lopenblas
//   OPENBLAS_NUM_THREADS=1 taskset -c 1 ./gather_rows
//
// For each shape: [rows × k] 0/1 at the density given, times [k × n] floats.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
// out[r,:] += sum_{i in idx[start[r]..start[r+1])} bt[i,:]; bt [kin, n]
__attribute__((target("avx2,fma")))
void gather_sum(const int32_t*start,const int32_t*idx,int64_t rows,const float*bt,int64_t n,float*out,int64_t ldo){
  const int64_t C=32;
  for(int64_t c0=0;c0<n;c0+=C){
    int64_t w = n-c0<C? n-c0:C;
    if(w==C){
      for(int64_t r=0;r<rows;r++){
        float*o=out+r*ldo+c0;
        __m256 a0=_mm256_loadu_ps(o),a1=_mm256_loadu_ps(o+8),a2=_mm256_loadu_ps(o+16),a3=_mm256_loadu_ps(o+24);
        __m256 b0=_mm256_setzero_ps(),b1=b0,b2=b0,b3=b0;
        int32_t s=start[r],e=start[r+1]; int32_t k=s;
        for(;k+1<e;k+=2){const float*p=bt+(int64_t)idx[k]*n+c0,*q=bt+(int64_t)idx[k+1]*n+c0;
          a0=_mm256_add_ps(a0,_mm256_loadu_ps(p));a1=_mm256_add_ps(a1,_mm256_loadu_ps(p+8));a2=_mm256_add_ps(a2,_mm256_loadu_ps(p+16));a3=_mm256_add_ps(a3,_mm256_loadu_ps(p+24));
          b0=_mm256_add_ps(b0,_mm256_loadu_ps(q));b1=_mm256_add_ps(b1,_mm256_loadu_ps(q+8));b2=_mm256_add_ps(b2,_mm256_loadu_ps(q+16));b3=_mm256_add_ps(b3,_mm256_loadu_ps(q+24));}
        if(k<e){const float*p=bt+(int64_t)idx[k]*n+c0;a0=_mm256_add_ps(a0,_mm256_loadu_ps(p));a1=_mm256_add_ps(a1,_mm256_loadu_ps(p+8));a2=_mm256_add_ps(a2,_mm256_loadu_ps(p+16));a3=_mm256_add_ps(a3,_mm256_loadu_ps(p+24));}
        _mm256_storeu_ps(o,_mm256_add_ps(a0,b0));_mm256_storeu_ps(o+8,_mm256_add_ps(a1,b1));_mm256_storeu_ps(o+16,_mm256_add_ps(a2,b2));_mm256_storeu_ps(o+24,_mm256_add_ps(a3,b3));
      }
    } else {
      for(int64_t r=0;r<rows;r++){float*o=out+r*ldo+c0; for(int32_t k=start[r];k<start[r+1];k++){const float*p=bt+(int64_t)idx[k]*n+c0; for(int j=0;j<w;j++)o[j]+=p[j];}}
    }
  }
}
__attribute__((target("avx2,bmi,bmi2")))
int64_t csr2(const float*m,int64_t rows,int64_t cols,int32_t*start,int32_t*idx){int64_t c=0; const __m256 one=_mm256_set1_ps(1.f), zero=_mm256_setzero_ps();
 for(int64_t r=0;r<rows;r++){start[r]=c; const float*row=m+r*cols; int64_t j=0; int bad=0;
  for(;j+8<=cols;j+=8){__m256 v=_mm256_loadu_ps(row+j); unsigned on=_mm256_movemask_ps(_mm256_cmp_ps(v,one,_CMP_EQ_OQ)); unsigned off=_mm256_movemask_ps(_mm256_cmp_ps(v,zero,_CMP_EQ_OQ)); bad|=(on|off)!=0xFF;
    while(on){idx[c++]=j+__builtin_ctz(on); on&=on-1;}}
  for(;j<cols;j++){float v=row[j]; if(v==1.0f)idx[c++]=j; else if(v!=0.0f) bad=1;}
  if(bad) return -1;}
 start[rows]=c;return c;}
void run(int rows,int kin,int n,double dens){
  float*a=malloc(4L*rows*kin),*w=malloc(4L*kin*n),*o1=calloc(rows*n,4),*o2=calloc(rows*n,4);
  int32_t*st=malloc(4*(rows+1)),*ix=malloc(4L*rows*kin);
  srand(1); for(long i=0;i<(long)rows*kin;i++)a[i]=(rand()/(double)RAND_MAX)<dens;
  for(long i=0;i<(long)kin*n;i++)w[i]=rand()/(double)RAND_MAX-0.5;
  int R=200; double t0=now(); for(int i=0;i<R;i++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,rows,n,kin,1,a,kin,w,n,0,o1,n); double tg=(now()-t0)/R;
  t0=now(); for(int i=0;i<R;i++){ csr2(a,rows,kin,st,ix);} double tc=(now()-t0)/R;
  t0=now(); for(int i=0;i<R;i++){ memset(o2,0,4L*rows*n); gather_sum(st,ix,rows,w,n,o2,n);} double tr=(now()-t0)/R; printf("csr %.1f us ",tc*1e6); tr+=tc;
  double md=0; for(long i=0;i<(long)rows*n;i++){double d=o1[i]-o2[i]; if(d<0)d=-d; if(d>md)md=d;}
  printf("%dx%d·%dx%d dens %.2f: sgemm %.1f us (%.1f GF/s)  gather %.1f us  speedup %.2f  maxdiff %.2g\n",rows,kin,kin,n,dens,tg*1e6,2.0*rows*kin*n/tg/1e9,tr*1e6,tg/tr,md);
}
int main(){ printf("(times per product; speedup = sgemm / (index build + gather))\n"); run(100,784,200,0.13); run(500,200,784,0.5); run(500,200,200,0.5); run(100,200,784,0.5); run(100,784,200,0.2); run(500,784,200,0.13);return 0;}
