// Open MPI's handles are macros over addresses of globals, which Swift cannot import.
// These accessors export them; `_Nonnull` keeps Swift from importing them as IUOs.
#ifndef HM_CMPI_SHIM_H
#define HM_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm _Nonnull hm_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype _Nonnull hm_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype _Nonnull hm_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype _Nonnull hm_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype _Nonnull hm_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op _Nonnull hm_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op _Nonnull hm_mpi_max(void) { return MPI_MAX; }
static inline MPI_Info _Nonnull hm_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int hm_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Request _Nonnull hm_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline void * _Nonnull hm_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status * _Nullable hm_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int hm_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int hm_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int hm_mpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Errhandler _Nonnull hm_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int hm_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int hm_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
