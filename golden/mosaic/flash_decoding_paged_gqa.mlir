module attributes {stable_mosaic.version = 15 : i64} {
  func.func @flash_decoding_paged_p64_b2_q1_hq8_hkv2_d128_n2048_s4_bkv256(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<2xi32, #tpu.memory_space<smem>>, %arg5: memref<2x32xi32, #tpu.memory_space<smem>>, %arg6: memref<8x128xbf16, #tpu.memory_space<vmem>>, %arg7: memref<2x80x64x128xbf16, #tpu.memory_space<any>>, %arg8: memref<2x80x64x128xbf16, #tpu.memory_space<any>>, %arg9: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg10: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg11: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg12: memref<8x1xf32, #tpu.memory_space<vmem>>, %arg13: memref<8x1xf32, #tpu.memory_space<vmem>>, %arg14: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg15: memref<2x256x128xbf16, #tpu.memory_space<vmem>>, %arg16: memref<2x256x128xbf16, #tpu.memory_space<vmem>>, %arg17: memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, %arg18: memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<arbitrary>, #tpu.dimension_semantics<arbitrary>, #tpu.dimension_semantics<arbitrary>, #tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 2, 2, 4, 2>, scalar_prefetch = 2 : i64, scratch_operands = 7 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 1, 8, 128>}, {}, {}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 1, 1, 8, 128>}, {transform_indices = @transform_4, window_bounds = array<i64: 1, 1, 1, 8, 128>}, {transform_indices = @transform_5, window_bounds = array<i64: 1, 1, 1, 8, 128>}]} {
    %cst = arith.constant dense<0.000000e+00> : vector<256x128xbf16>
    %cst_0 = arith.constant dense<0xFF800000> : vector<8x256xf32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<8xf32>
    %cst_2 = arith.constant dense<0xFF800000> : vector<8xf32>
    %cst_3 = arith.constant dense<0.0883883461> : vector<8x256xf32>
    %cst_4 = arith.constant dense<0.000000e+00> : vector<8x256xf32>
    %c1_i32 = arith.constant 1 : i32
    %c192_i32 = arith.constant 192 : i32
    %c128_i32 = arith.constant 128 : i32
    %c64_i32 = arith.constant 64 : i32
    %c256_i32 = arith.constant 256 : i32
    %c2_i32 = arith.constant 2 : i32
    %c0 = arith.constant 0 : index
    %cst_5 = arith.constant dense<0.000000e+00> : vector<8x128xf32>
    %cst_6 = arith.constant dense<0.000000e+00> : vector<8x1xf32>
    %cst_7 = arith.constant dense<-1.000000e+30> : vector<8x1xf32>
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.index_cast %arg0 : i32 to index
    %1 = memref.load %arg4[%0] : memref<2xi32, #tpu.memory_space<smem>>
    %2 = arith.cmpi eq, %arg3, %c0_i32 : i32
    scf.if %2 {
      "tpu.vector_store"(%cst_7, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_6, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_5, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %17 = arith.muli %arg2, %c2_i32 : i32
      %18 = arith.addi %17, %arg3 : i32
      %19 = arith.muli %18, %c256_i32 : i32
      %20 = arith.remsi %arg3, %c2_i32 : i32
      %21 = arith.cmpi slt, %19, %1 : i32
      scf.if %21 {
        %28 = arith.divsi %19, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
      %22 = arith.addi %19, %c64_i32 : i32
      %23 = arith.cmpi slt, %22, %1 : i32
      scf.if %23 {
        %28 = arith.divsi %22, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c64_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c64_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
      %24 = arith.addi %19, %c128_i32 : i32
      %25 = arith.cmpi slt, %24, %1 : i32
      scf.if %25 {
        %28 = arith.divsi %24, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c128_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c128_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
      %26 = arith.addi %19, %c192_i32 : i32
      %27 = arith.cmpi slt, %26, %1 : i32
      scf.if %27 {
        %28 = arith.divsi %26, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c192_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c192_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
    }
    %3 = arith.addi %arg3, %c1_i32 : i32
    %4 = arith.cmpi slt, %3, %c2_i32 : i32
    scf.if %4 {
      %17 = arith.muli %arg2, %c2_i32 : i32
      %18 = arith.addi %17, %3 : i32
      %19 = arith.muli %18, %c256_i32 : i32
      %20 = arith.remsi %3, %c2_i32 : i32
      %21 = arith.cmpi slt, %19, %1 : i32
      scf.if %21 {
        %28 = arith.divsi %19, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
      %22 = arith.addi %19, %c64_i32 : i32
      %23 = arith.cmpi slt, %22, %1 : i32
      scf.if %23 {
        %28 = arith.divsi %22, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c64_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c64_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
      %24 = arith.addi %19, %c128_i32 : i32
      %25 = arith.cmpi slt, %24, %1 : i32
      scf.if %25 {
        %28 = arith.divsi %24, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c128_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c128_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
      %26 = arith.addi %19, %c192_i32 : i32
      %27 = arith.cmpi slt, %26, %1 : i32
      scf.if %27 {
        %28 = arith.divsi %26, %c64_i32 : i32
        %29 = arith.index_cast %28 : i32 to index
        %30 = memref.load %arg5[%0, %29] : memref<2x32xi32, #tpu.memory_space<smem>>
        %31 = "tpu.memref_slice"(%arg17, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %32 = "tpu.memref_squeeze"(%31) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %33 = "tpu.memref_slice"(%arg7, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %34 = "tpu.memref_squeeze"(%33) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %35 = "tpu.memref_slice"(%arg15, %20, %c192_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %36 = "tpu.memref_squeeze"(%35) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%34, %36, %32) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
        %37 = "tpu.memref_slice"(%arg18, %20) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %38 = "tpu.memref_squeeze"(%37) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
        %39 = "tpu.memref_slice"(%arg8, %arg1, %30, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
        %40 = "tpu.memref_squeeze"(%39) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
        %41 = "tpu.memref_slice"(%arg16, %20, %c192_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
        %42 = "tpu.memref_squeeze"(%41) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
        "tpu.enqueue_dma"(%40, %42, %38) {operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 0>, priority = 0 : i32, strict_ordering = false} : (memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>, memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> ()
      }
    }
    %5 = arith.muli %arg2, %c2_i32 : i32
    %6 = arith.addi %5, %arg3 : i32
    %7 = arith.muli %6, %c256_i32 : i32
    %8 = arith.remsi %arg3, %c2_i32 : i32
    %9 = arith.cmpi slt, %7, %1 : i32
    scf.if %9 {
      %17 = arith.divsi %7, %c64_i32 : i32
      %18 = arith.index_cast %17 : i32 to index
      %19 = memref.load %arg5[%0, %18] : memref<2x32xi32, #tpu.memory_space<smem>>
      %20 = "tpu.memref_slice"(%arg17, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %21 = "tpu.memref_squeeze"(%20) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %22 = "tpu.memref_slice"(%arg7, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %23 = "tpu.memref_squeeze"(%22) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %24 = "tpu.memref_slice"(%arg15, %8, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %25 = "tpu.memref_squeeze"(%24) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%21, %23, %25) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
      %26 = "tpu.memref_slice"(%arg18, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %27 = "tpu.memref_squeeze"(%26) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %28 = "tpu.memref_slice"(%arg8, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %29 = "tpu.memref_squeeze"(%28) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %30 = "tpu.memref_slice"(%arg16, %8, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %31 = "tpu.memref_squeeze"(%30) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%27, %29, %31) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
    }
    %10 = arith.addi %7, %c64_i32 : i32
    %11 = arith.cmpi slt, %10, %1 : i32
    scf.if %11 {
      %17 = arith.divsi %10, %c64_i32 : i32
      %18 = arith.index_cast %17 : i32 to index
      %19 = memref.load %arg5[%0, %18] : memref<2x32xi32, #tpu.memory_space<smem>>
      %20 = "tpu.memref_slice"(%arg17, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %21 = "tpu.memref_squeeze"(%20) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %22 = "tpu.memref_slice"(%arg7, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %23 = "tpu.memref_squeeze"(%22) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %24 = "tpu.memref_slice"(%arg15, %8, %c64_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %25 = "tpu.memref_squeeze"(%24) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%21, %23, %25) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
      %26 = "tpu.memref_slice"(%arg18, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %27 = "tpu.memref_squeeze"(%26) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %28 = "tpu.memref_slice"(%arg8, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %29 = "tpu.memref_squeeze"(%28) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %30 = "tpu.memref_slice"(%arg16, %8, %c64_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %31 = "tpu.memref_squeeze"(%30) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%27, %29, %31) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
    }
    %12 = arith.addi %7, %c128_i32 : i32
    %13 = arith.cmpi slt, %12, %1 : i32
    scf.if %13 {
      %17 = arith.divsi %12, %c64_i32 : i32
      %18 = arith.index_cast %17 : i32 to index
      %19 = memref.load %arg5[%0, %18] : memref<2x32xi32, #tpu.memory_space<smem>>
      %20 = "tpu.memref_slice"(%arg17, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %21 = "tpu.memref_squeeze"(%20) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %22 = "tpu.memref_slice"(%arg7, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %23 = "tpu.memref_squeeze"(%22) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %24 = "tpu.memref_slice"(%arg15, %8, %c128_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %25 = "tpu.memref_squeeze"(%24) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%21, %23, %25) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
      %26 = "tpu.memref_slice"(%arg18, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %27 = "tpu.memref_squeeze"(%26) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %28 = "tpu.memref_slice"(%arg8, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %29 = "tpu.memref_squeeze"(%28) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %30 = "tpu.memref_slice"(%arg16, %8, %c128_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %31 = "tpu.memref_squeeze"(%30) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%27, %29, %31) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
    }
    %14 = arith.addi %7, %c192_i32 : i32
    %15 = arith.cmpi slt, %14, %1 : i32
    scf.if %15 {
      %17 = arith.divsi %14, %c64_i32 : i32
      %18 = arith.index_cast %17 : i32 to index
      %19 = memref.load %arg5[%0, %18] : memref<2x32xi32, #tpu.memory_space<smem>>
      %20 = "tpu.memref_slice"(%arg17, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %21 = "tpu.memref_squeeze"(%20) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %22 = "tpu.memref_slice"(%arg7, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %23 = "tpu.memref_squeeze"(%22) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %24 = "tpu.memref_slice"(%arg15, %8, %c192_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %25 = "tpu.memref_squeeze"(%24) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%21, %23, %25) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
      %26 = "tpu.memref_slice"(%arg18, %8) {operandSegmentSizes = array<i32: 1, 1, 0>} : (memref<2x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, i32) -> memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %27 = "tpu.memref_squeeze"(%26) : (memref<1x!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>) -> memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>
      %28 = "tpu.memref_slice"(%arg8, %arg1, %19, %c0_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 4, 0>} : (memref<2x80x64x128xbf16, #tpu.memory_space<any>>, i32, i32, i32, i32) -> memref<1x1x64x128xbf16, #tpu.memory_space<any>>
      %29 = "tpu.memref_squeeze"(%28) : (memref<1x1x64x128xbf16, #tpu.memory_space<any>>) -> memref<64x128xbf16, #tpu.memory_space<any>>
      %30 = "tpu.memref_slice"(%arg16, %8, %c192_i32, %c0_i32) {operandSegmentSizes = array<i32: 1, 3, 0>} : (memref<2x256x128xbf16, #tpu.memory_space<vmem>>, i32, i32, i32) -> memref<1x64x128xbf16, #tpu.memory_space<vmem>>
      %31 = "tpu.memref_squeeze"(%30) : (memref<1x64x128xbf16, #tpu.memory_space<vmem>>) -> memref<64x128xbf16, #tpu.memory_space<vmem>>
      "tpu.wait_dma2"(%27, %29, %31) {operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, strict_ordering = false} : (memref<!tpu.dma_semaphore, #tpu.memory_space<semaphore_mem>>, memref<64x128xbf16, #tpu.memory_space<any>>, memref<64x128xbf16, #tpu.memory_space<vmem>>) -> ()
    }
    scf.if %9 {
      %17 = arith.addi %7, %c256_i32 : i32
      %18 = arith.cmpi sle, %17, %1 : i32
      scf.if %18 {
        %20 = vector.load %arg6[%c0, %c0] : memref<8x128xbf16, #tpu.memory_space<vmem>>, vector<8x128xbf16>
        %21 = arith.index_cast %8 : i32 to index
        %22 = vector.load %arg15[%21, %c0, %c0] : memref<2x256x128xbf16, #tpu.memory_space<vmem>>, vector<1x256x128xbf16>
        %23 = vector.shape_cast %22 : vector<1x256x128xbf16> to vector<256x128xbf16>
        %24 = vector.load %arg16[%21, %c0, %c0] : memref<2x256x128xbf16, #tpu.memory_space<vmem>>, vector<1x256x128xbf16>
        %25 = vector.shape_cast %24 : vector<1x256x128xbf16> to vector<256x128xbf16>
        %26 = "tpu.matmul"(%20, %23, %cst_4) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x128xbf16>, vector<256x128xbf16>, vector<8x256xf32>) -> vector<8x256xf32>
        %27 = arith.mulf %26, %cst_3 : vector<8x256xf32>
        %28 = vector.load %arg12[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %29 = vector.load %arg13[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %30 = vector.load %arg14[%c0, %c0] : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>
        %31 = vector.multi_reduction <maximumf>, %27, %cst_2 [1] : vector<8x256xf32> to vector<8xf32>
        %32 = vector.shape_cast %31 : vector<8xf32> to vector<8x1xf32>
        %33 = arith.maximumf %28, %32 : vector<8x1xf32>
        %34 = vector.broadcast %33 : vector<8x1xf32> to vector<8x256xf32>
        %35 = arith.subf %27, %34 : vector<8x256xf32>
        %36 = math.exp %35 : vector<8x256xf32>
        %37 = arith.subf %28, %33 : vector<8x1xf32>
        %38 = math.exp %37 : vector<8x1xf32>
        %39 = arith.mulf %38, %29 : vector<8x1xf32>
        %40 = vector.multi_reduction <add>, %36, %cst_1 [1] : vector<8x256xf32> to vector<8xf32>
        %41 = vector.shape_cast %40 : vector<8xf32> to vector<8x1xf32>
        %42 = arith.addf %39, %41 : vector<8x1xf32>
        %43 = vector.broadcast %38 : vector<8x1xf32> to vector<8x128xf32>
        %44 = arith.mulf %30, %43 : vector<8x128xf32>
        %45 = arith.truncf %36 : vector<8x256xf32> to vector<8x256xbf16>
        %46 = "tpu.matmul"(%45, %25, %cst_5) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x256xbf16>, vector<256x128xbf16>, vector<8x128xf32>) -> vector<8x128xf32>
        %47 = arith.addf %44, %46 : vector<8x128xf32>
        "tpu.vector_store"(%33, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%42, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%47, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      }
      %19 = arith.cmpi sgt, %17, %1 : i32
      scf.if %19 {
        %20 = vector.load %arg6[%c0, %c0] : memref<8x128xbf16, #tpu.memory_space<vmem>>, vector<8x128xbf16>
        %21 = arith.index_cast %8 : i32 to index
        %22 = vector.load %arg15[%21, %c0, %c0] : memref<2x256x128xbf16, #tpu.memory_space<vmem>>, vector<1x256x128xbf16>
        %23 = vector.shape_cast %22 : vector<1x256x128xbf16> to vector<256x128xbf16>
        %24 = vector.load %arg16[%21, %c0, %c0] : memref<2x256x128xbf16, #tpu.memory_space<vmem>>, vector<1x256x128xbf16>
        %25 = vector.shape_cast %24 : vector<1x256x128xbf16> to vector<256x128xbf16>
        %26 = "tpu.matmul"(%20, %23, %cst_4) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x128xbf16>, vector<256x128xbf16>, vector<8x256xf32>) -> vector<8x256xf32>
        %27 = arith.mulf %26, %cst_3 : vector<8x256xf32>
        %28 = vector.broadcast %1 : i32 to vector<8x256xi32>
        %29 = "tpu.iota"() {dimensions = array<i32: 1>} : () -> vector<8x256xi32>
        %30 = vector.broadcast %7 : i32 to vector<8x256xi32>
        %31 = arith.addi %29, %30 : vector<8x256xi32>
        %32 = arith.cmpi slt, %31, %28 : vector<8x256xi32>
        %33 = arith.select %32, %27, %cst_0 : vector<8x256xi1>, vector<8x256xf32>
        %34 = "tpu.iota"() {dimensions = array<i32: 0>} : () -> vector<256x128xi32>
        %35 = vector.broadcast %7 : i32 to vector<256x128xi32>
        %36 = arith.addi %34, %35 : vector<256x128xi32>
        %37 = vector.broadcast %1 : i32 to vector<256x128xi32>
        %38 = arith.cmpi slt, %36, %37 : vector<256x128xi32>
        %39 = arith.select %38, %25, %cst : vector<256x128xi1>, vector<256x128xbf16>
        %40 = vector.load %arg12[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %41 = vector.load %arg13[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %42 = vector.load %arg14[%c0, %c0] : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>
        %43 = vector.multi_reduction <maximumf>, %33, %cst_2 [1] : vector<8x256xf32> to vector<8xf32>
        %44 = vector.shape_cast %43 : vector<8xf32> to vector<8x1xf32>
        %45 = arith.maximumf %40, %44 : vector<8x1xf32>
        %46 = vector.broadcast %45 : vector<8x1xf32> to vector<8x256xf32>
        %47 = arith.subf %33, %46 : vector<8x256xf32>
        %48 = math.exp %47 : vector<8x256xf32>
        %49 = arith.subf %40, %45 : vector<8x1xf32>
        %50 = math.exp %49 : vector<8x1xf32>
        %51 = arith.mulf %50, %41 : vector<8x1xf32>
        %52 = vector.multi_reduction <add>, %48, %cst_1 [1] : vector<8x256xf32> to vector<8xf32>
        %53 = vector.shape_cast %52 : vector<8xf32> to vector<8x1xf32>
        %54 = arith.addf %51, %53 : vector<8x1xf32>
        %55 = vector.broadcast %50 : vector<8x1xf32> to vector<8x128xf32>
        %56 = arith.mulf %42, %55 : vector<8x128xf32>
        %57 = arith.truncf %48 : vector<8x256xf32> to vector<8x256xbf16>
        %58 = "tpu.matmul"(%57, %39, %cst_5) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x256xbf16>, vector<256x128xbf16>, vector<8x128xf32>) -> vector<8x128xf32>
        %59 = arith.addf %56, %58 : vector<8x128xf32>
        "tpu.vector_store"(%45, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%54, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%59, %arg14, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      }
    }
    %16 = arith.cmpi eq, %arg3, %c1_i32 : i32
    scf.if %16 {
      %17 = vector.load %arg14[%c0, %c0] : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>
      "tpu.vector_store"(%17, %arg9, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %18 = vector.load %arg12[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
      %19 = vector.broadcast %18 : vector<8x1xf32> to vector<8x128xf32>
      "tpu.vector_store"(%19, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %20 = vector.load %arg13[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
      %21 = vector.broadcast %20 : vector<8x1xf32> to vector<8x128xf32>
      "tpu.vector_store"(%21, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<2xi32, #tpu.memory_space<smem>>, %arg5: memref<2x32xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<2xi32, #tpu.memory_space<smem>>, %arg5: memref<2x32xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_4(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<2xi32, #tpu.memory_space<smem>>, %arg5: memref<2x32xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_5(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<2xi32, #tpu.memory_space<smem>>, %arg5: memref<2x32xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
}
