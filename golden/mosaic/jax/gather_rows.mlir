module attributes {stable_mosaic.version = 15 : i64} {
  func.func @kernel(%arg0: i32, %arg1: memref<8xi32, #tpu.memory_space<smem>>, %arg2: memref<64x128xf32, #tpu.memory_space<any>>, %arg3: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg4: memref<2x8x128xf32, #tpu.memory_space<vmem>>, %arg5: memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 8>, scalar_prefetch = 1 : i64, scratch_operands = 2 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{}, {transform_indices = @transform_1, window_bounds = array<i64: 8, 128>}]} {
    %cst = arith.constant dense<64> : vector<8x128xi32>
    %c3_i32 = arith.constant 3 : i32
    %cst_0 = arith.constant dense<0.000000e+00> : vector<8x128xf32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<8xf32>
    %cst_2 = arith.constant dense<0.000000e+00> : vector<8x8xf32>
    %c1 = arith.constant 1 : index
    %cst_3 = arith.constant dense<0xFF800000> : vector<8xf32>
    %c0 = arith.constant 0 : index
    %c1_i32 = arith.constant 1 : i32
    %c0_i32 = arith.constant 0 : i32
    %c8_i32 = arith.constant 8 : i32
    %0 = arith.index_cast %arg0 : i32 to index
    %1 = memref.load %arg1[%0] : memref<8xi32, #tpu.memory_space<smem>>
    %2 = arith.muli %1, %c8_i32 : i32
    %3 = tpu.memref_slice %arg5[%c0_i32] : memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>> -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %4 = tpu.memref_squeeze %3 : memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>> -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
    %5 = tpu.memref_slice %arg4[%c0_i32, %c0_i32, %c0_i32] : memref<2x8x128xf32, #tpu.memory_space<vmem>> -> memref<1x8x128xf32, #tpu.memory_space<vmem>>
    %6 = tpu.memref_squeeze %5 : memref<1x8x128xf32, #tpu.memory_space<vmem>> -> memref<8x128xf32, #tpu.memory_space<vmem>>
    %7 = tpu.memref_slice %arg2[%2, %c0_i32] : memref<64x128xf32, #tpu.memory_space<any>> -> memref<8x128xf32, #tpu.memory_space<any>>
    tpu.enqueue_dma source(%7 : memref<8x128xf32, #tpu.memory_space<any>>) target(%6 : memref<8x128xf32, #tpu.memory_space<vmem>>) target_semaphore(%4 : memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>)
    tpu.wait_dma2 semaphore(%4 : memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) src(%7 : memref<8x128xf32, #tpu.memory_space<any>>) dst(%6 : memref<8x128xf32, #tpu.memory_space<vmem>>)
    %8 = scf.for %arg6 = %c0_i32 to %c3_i32 step %c1_i32 iter_args(%arg7 = %cst_0) -> (vector<8x128xf32>)  : i32 {
      %25 = vector.load %arg4[%c0, %c0, %c0] : memref<2x8x128xf32, #tpu.memory_space<vmem>>, vector<1x8x128xf32>
      %26 = vector.shape_cast %25 : vector<1x8x128xf32> to vector<8x128xf32>
      %27 = math.exp %26 : vector<8x128xf32>
      %28 = arith.sitofp %arg6 : i32 to f32
      %29 = vector.broadcast %28 : f32 to vector<8x128xf32>
      %30 = arith.mulf %27, %29 : vector<8x128xf32>
      %31 = arith.addf %arg7, %30 : vector<8x128xf32>
      scf.yield %31 : vector<8x128xf32>
    }
    %9 = vector.multi_reduction <maximumf>, %8, %cst_3 [1] : vector<8x128xf32> to vector<8xf32>
    %10 = vector.shape_cast %9 : vector<8xf32> to vector<8x1xf32>
    %11 = tpu.iota {dimensions = array<i32: 1>} : vector<8x128xi32>
    %12 = arith.cmpi slt, %11, %cst : vector<8x128xi32>
    %13 = vector.broadcast %10 : vector<8x1xf32> to vector<8x128xf32>
    %14 = arith.subf %8, %13 : vector<8x128xf32>
    %15 = arith.select %12, %14, %cst_0 : vector<8x128xi1>, vector<8x128xf32>
    %16 = vector.load %arg4[%c0, %c0, %c0] : memref<2x8x128xf32, #tpu.memory_space<vmem>>, vector<1x8x128xf32>
    %17 = vector.shape_cast %16 : vector<1x8x128xf32> to vector<8x128xf32>
    %18 = vector.load %arg4[%c1, %c0, %c0] : memref<2x8x128xf32, #tpu.memory_space<vmem>>, vector<1x8x128xf32>
    %19 = vector.shape_cast %18 : vector<1x8x128xf32> to vector<8x128xf32>
    %20 = tpu.matmul %17, %19, %cst_2 {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs_hint = false} : vector<8x128xf32>, vector<8x128xf32>, vector<8x8xf32> -> vector<8x8xf32>
    %21 = vector.multi_reduction <add>, %20, %cst_1 [1] : vector<8x8xf32> to vector<8xf32>
    %22 = vector.shape_cast %21 : vector<8xf32> to vector<8x1xf32>
    %23 = vector.broadcast %22 : vector<8x1xf32> to vector<8x128xf32>
    %24 = arith.addf %15, %23 : vector<8x128xf32>
    tpu.vector_store %arg3[%c0, %c0], %24 {strides = array<i32>} : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>, 
    return
  }
  func.func @transform_1(%arg0: i32, %arg1: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.index_cast %arg0 : i32 to index
    %1 = memref.load %arg1[%0] : memref<8xi32, #tpu.memory_space<smem>>
    return %1, %c0_i32 : i32, i32
  }
}
