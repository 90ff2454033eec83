module attributes {stable_mosaic.version = 15 : i64} {
  func.func @gather_rows(%arg0: i32, %arg1: memref<8xi32, #tpu.memory_space<smem>>, %arg2: memref<64x128xf32, #tpu.memory_space<any>>, %arg3: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg4: memref<2x8x128xf32, #tpu.memory_space<vmem>>, %arg5: memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 8>, scalar_prefetch = 1 : i64, scratch_operands = 2 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{}, {transform_indices = @transform_1, window_bounds = array<i64: 8, 128>}]} {
    %cst = arith.constant dense<0.000000e+00> : vector<1x8x128xf32>
    %cst_0 = arith.constant dense<0.000000e+00> : vector<8xf32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<8x8xf32>
    %cst_2 = arith.constant dense<64> : vector<8x128xi32>
    %cst_3 = arith.constant dense<0xFF800000> : vector<8xf32>
    %c1_i32 = arith.constant 1 : i32
    %c3_i32 = arith.constant 3 : i32
    %c8_i32 = arith.constant 8 : i32
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %cst_4 = arith.constant dense<0.000000e+00> : vector<8x128xf32>
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.cmpi eq, %arg0, %c0_i32 : i32
    scf.if %0 {
      "tpu.vector_store"(%cst, %arg4, %c1, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 3, 0>, strides = array<i32>} : (vector<1x8x128xf32>, memref<2x8x128xf32, #tpu.memory_space<vmem>>, index, index, index) -> ()
    }
    %1 = arith.index_cast %arg0 : i32 to index
    %2 = memref.load %arg1[%1] : memref<8xi32, #tpu.memory_space<smem>>
    %3 = arith.muli %2, %c8_i32 : i32
    %4 = "tpu.memref_slice"(%arg5, %c0_i32) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %5 = "tpu.memref_squeeze"(%4) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %6 = "tpu.memref_slice"(%arg2, %3, %c0_i32) {operandSegmentSizes = array<i32: 1, 2, 0>} : (memref<64x128xf32, #tpu.memory_space<any>>, i32, i32) -> memref<8x128xf32, #tpu.memory_space<any>>
    %7 = "tpu.memref_slice"(%arg4, %c0_i32, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x8x128xf32, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x8x128xf32, #tpu.memory_space<vmem>>
    %8 = "tpu.memref_squeeze"(%7) : (memref<1x8x128xf32, #tpu.memory_space<vmem>>) -> memref<8x128xf32, #tpu.memory_space<vmem>>
    "tpu.enqueue_dma"(%6, %8, %5) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<8x128xf32, #tpu.memory_space<any>>, memref<8x128xf32, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
    %9 = "tpu.memref_slice"(%arg5, %c0_i32) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %10 = "tpu.memref_squeeze"(%9) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %11 = "tpu.memref_slice"(%arg2, %3, %c0_i32) {operandSegmentSizes = array<i32: 1, 2, 0>} : (memref<64x128xf32, #tpu.memory_space<any>>, i32, i32) -> memref<8x128xf32, #tpu.memory_space<any>>
    %12 = "tpu.memref_slice"(%arg4, %c0_i32, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x8x128xf32, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x8x128xf32, #tpu.memory_space<vmem>>
    %13 = "tpu.memref_squeeze"(%12) : (memref<1x8x128xf32, #tpu.memory_space<vmem>>) -> memref<8x128xf32, #tpu.memory_space<vmem>>
    "tpu.wait_dma2"(%10, %11, %13) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<8x128xf32, #tpu.memory_space<any>>, memref<8x128xf32, #tpu.memory_space<vmem>>) -> ()
    %14 = scf.for %arg6 = %c0_i32 to %c3_i32 step %c1_i32 iter_args(%arg7 = %cst_4) -> (vector<8x128xf32>)  : i32 {
      %31 = vector.load %arg4[%c0, %c0, %c0] : memref<2x8x128xf32, #tpu.memory_space<vmem>>, vector<1x8x128xf32>
      %32 = vector.shape_cast %31 : vector<1x8x128xf32> to vector<8x128xf32>
      %33 = math.exp %32 : vector<8x128xf32>
      %34 = arith.sitofp %arg6 : i32 to f32
      %35 = vector.broadcast %34 : f32 to vector<8x128xf32>
      %36 = arith.mulf %33, %35 : vector<8x128xf32>
      %37 = arith.addf %arg7, %36 : vector<8x128xf32>
      scf.yield %37 : vector<8x128xf32>
    }
    %15 = vector.multi_reduction <maximumf>, %14, %cst_3 [1] : vector<8x128xf32> to vector<8xf32>
    %16 = vector.shape_cast %15 : vector<8xf32> to vector<8x1xf32>
    %17 = vector.broadcast %16 : vector<8x1xf32> to vector<8x128xf32>
    %18 = "tpu.iota"() {dimensions = array<i32: 1>} : () -> vector<8x128xi32>
    %19 = arith.cmpi slt, %18, %cst_2 : vector<8x128xi32>
    %20 = arith.subf %14, %17 : vector<8x128xf32>
    %21 = arith.select %19, %20, %cst_4 : vector<8x128xi1>, vector<8x128xf32>
    %22 = vector.load %arg4[%c0, %c0, %c0] : memref<2x8x128xf32, #tpu.memory_space<vmem>>, vector<1x8x128xf32>
    %23 = vector.shape_cast %22 : vector<1x8x128xf32> to vector<8x128xf32>
    %24 = vector.load %arg4[%c1, %c0, %c0] : memref<2x8x128xf32, #tpu.memory_space<vmem>>, vector<1x8x128xf32>
    %25 = vector.shape_cast %24 : vector<1x8x128xf32> to vector<8x128xf32>
    %26 = "tpu.matmul"(%23, %25, %cst_1) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x128xf32>, vector<8x128xf32>, vector<8x8xf32>) -> vector<8x8xf32>
    %27 = vector.multi_reduction <add>, %26, %cst_0 [1] : vector<8x8xf32> to vector<8xf32>
    %28 = vector.shape_cast %27 : vector<8xf32> to vector<8x1xf32>
    %29 = vector.broadcast %28 : vector<8x1xf32> to vector<8x128xf32>
    %30 = arith.addf %21, %29 : vector<8x128xf32>
    "tpu.vector_store"(%30, %arg3, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    return
  }
  func.func @transform_1(%arg0: i32, %arg1: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.index_cast %arg0 : i32 to index
    %1 = memref.load %arg1[%0] : memref<8xi32, #tpu.memory_space<smem>>
    return %1, %c0_i32 : i32, i32
  }
}
