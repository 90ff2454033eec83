module attributes {stable_mosaic.version = 15 : i64} {
  func.func @flash_decoding_split_b8_q1_hq8_hkv8_d128_n2048_s4_bkv256(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>, %arg5: memref<8x128xbf16, #tpu.memory_space<vmem>>, %arg6: memref<256x128xbf16, #tpu.memory_space<vmem>>, %arg7: memref<256x128xbf16, #tpu.memory_space<vmem>>, %arg8: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg9: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg10: memref<8x128xf32, #tpu.memory_space<vmem>>, %arg11: memref<8x1xf32, #tpu.memory_space<vmem>>, %arg12: memref<8x1xf32, #tpu.memory_space<vmem>>, %arg13: memref<8x128xf32, #tpu.memory_space<vmem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 8, 8, 4, 2>, scalar_prefetch = 1 : i64, scratch_operands = 3 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 1, 8, 128>}, {transform_indices = @transform_1, window_bounds = array<i64: 1, 1, 256, 128>}, {transform_indices = @transform_2, window_bounds = array<i64: 1, 1, 256, 128>}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 1, 1, 8, 128>}, {transform_indices = @transform_4, window_bounds = array<i64: 1, 1, 1, 8, 128>}, {transform_indices = @transform_5, window_bounds = array<i64: 1, 1, 1, 8, 128>}]} {
    %c1_i32 = arith.constant 1 : i32
    %cst = arith.constant dense<0.000000e+00> : vector<256x128xbf16>
    %cst_0 = arith.constant dense<0xFF800000> : vector<8x256xf32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<8xf32>
    %cst_2 = arith.constant dense<0xFF800000> : vector<8xf32>
    %cst_3 = arith.constant dense<0.0883883461> : vector<8x256xf32>
    %cst_4 = arith.constant dense<0.000000e+00> : vector<8x256xf32>
    %c256_i32 = arith.constant 256 : i32
    %c2_i32 = arith.constant 2 : i32
    %c0 = arith.constant 0 : index
    %cst_5 = arith.constant dense<0.000000e+00> : vector<8x128xf32>
    %cst_6 = arith.constant dense<0.000000e+00> : vector<8x1xf32>
    %cst_7 = arith.constant dense<-1.000000e+30> : vector<8x1xf32>
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.index_cast %arg0 : i32 to index
    %1 = memref.load %arg4[%0] : memref<8xi32, #tpu.memory_space<smem>>
    %2 = arith.cmpi eq, %arg3, %c0_i32 : i32
    scf.if %2 {
      "tpu.vector_store"(%cst_7, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_6, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_5, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %3 = arith.muli %arg2, %c2_i32 : i32
    %4 = arith.addi %3, %arg3 : i32
    %5 = arith.muli %4, %c256_i32 : i32
    %6 = arith.cmpi slt, %5, %1 : i32
    scf.if %6 {
      %8 = arith.addi %5, %c256_i32 : i32
      %9 = arith.cmpi sle, %8, %1 : i32
      scf.if %9 {
        %11 = vector.load %arg5[%c0, %c0] : memref<8x128xbf16, #tpu.memory_space<vmem>>, vector<8x128xbf16>
        %12 = vector.load %arg6[%c0, %c0] : memref<256x128xbf16, #tpu.memory_space<vmem>>, vector<256x128xbf16>
        %13 = vector.load %arg7[%c0, %c0] : memref<256x128xbf16, #tpu.memory_space<vmem>>, vector<256x128xbf16>
        %14 = "tpu.matmul"(%11, %12, %cst_4) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x128xbf16>, vector<256x128xbf16>, vector<8x256xf32>) -> vector<8x256xf32>
        %15 = arith.mulf %14, %cst_3 : vector<8x256xf32>
        %16 = vector.load %arg11[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %17 = vector.load %arg12[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %18 = vector.load %arg13[%c0, %c0] : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>
        %19 = vector.multi_reduction <maximumf>, %15, %cst_2 [1] : vector<8x256xf32> to vector<8xf32>
        %20 = vector.shape_cast %19 : vector<8xf32> to vector<8x1xf32>
        %21 = arith.maximumf %16, %20 : vector<8x1xf32>
        %22 = vector.broadcast %21 : vector<8x1xf32> to vector<8x256xf32>
        %23 = arith.subf %15, %22 : vector<8x256xf32>
        %24 = math.exp %23 : vector<8x256xf32>
        %25 = arith.subf %16, %21 : vector<8x1xf32>
        %26 = math.exp %25 : vector<8x1xf32>
        %27 = arith.mulf %26, %17 : vector<8x1xf32>
        %28 = vector.multi_reduction <add>, %24, %cst_1 [1] : vector<8x256xf32> to vector<8xf32>
        %29 = vector.shape_cast %28 : vector<8xf32> to vector<8x1xf32>
        %30 = arith.addf %27, %29 : vector<8x1xf32>
        %31 = vector.broadcast %26 : vector<8x1xf32> to vector<8x128xf32>
        %32 = arith.mulf %18, %31 : vector<8x128xf32>
        %33 = arith.truncf %24 : vector<8x256xf32> to vector<8x256xbf16>
        %34 = "tpu.matmul"(%33, %13, %cst_5) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x256xbf16>, vector<256x128xbf16>, vector<8x128xf32>) -> vector<8x128xf32>
        %35 = arith.addf %32, %34 : vector<8x128xf32>
        "tpu.vector_store"(%21, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%30, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%35, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      }
      %10 = arith.cmpi sgt, %8, %1 : i32
      scf.if %10 {
        %11 = vector.load %arg5[%c0, %c0] : memref<8x128xbf16, #tpu.memory_space<vmem>>, vector<8x128xbf16>
        %12 = vector.load %arg6[%c0, %c0] : memref<256x128xbf16, #tpu.memory_space<vmem>>, vector<256x128xbf16>
        %13 = vector.load %arg7[%c0, %c0] : memref<256x128xbf16, #tpu.memory_space<vmem>>, vector<256x128xbf16>
        %14 = "tpu.matmul"(%11, %12, %cst_4) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x128xbf16>, vector<256x128xbf16>, vector<8x256xf32>) -> vector<8x256xf32>
        %15 = arith.mulf %14, %cst_3 : vector<8x256xf32>
        %16 = vector.broadcast %1 : i32 to vector<8x256xi32>
        %17 = "tpu.iota"() {dimensions = array<i32: 1>} : () -> vector<8x256xi32>
        %18 = vector.broadcast %5 : i32 to vector<8x256xi32>
        %19 = arith.addi %17, %18 : vector<8x256xi32>
        %20 = arith.cmpi slt, %19, %16 : vector<8x256xi32>
        %21 = arith.select %20, %15, %cst_0 : vector<8x256xi1>, vector<8x256xf32>
        %22 = "tpu.iota"() {dimensions = array<i32: 0>} : () -> vector<256x128xi32>
        %23 = vector.broadcast %5 : i32 to vector<256x128xi32>
        %24 = arith.addi %22, %23 : vector<256x128xi32>
        %25 = vector.broadcast %1 : i32 to vector<256x128xi32>
        %26 = arith.cmpi slt, %24, %25 : vector<256x128xi32>
        %27 = arith.select %26, %13, %cst : vector<256x128xi1>, vector<256x128xbf16>
        %28 = vector.load %arg11[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %29 = vector.load %arg12[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
        %30 = vector.load %arg13[%c0, %c0] : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>
        %31 = vector.multi_reduction <maximumf>, %21, %cst_2 [1] : vector<8x256xf32> to vector<8xf32>
        %32 = vector.shape_cast %31 : vector<8xf32> to vector<8x1xf32>
        %33 = arith.maximumf %28, %32 : vector<8x1xf32>
        %34 = vector.broadcast %33 : vector<8x1xf32> to vector<8x256xf32>
        %35 = arith.subf %21, %34 : vector<8x256xf32>
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
        %46 = "tpu.matmul"(%45, %27, %cst_5) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<8x256xbf16>, vector<256x128xbf16>, vector<8x128xf32>) -> vector<8x128xf32>
        %47 = arith.addf %44, %46 : vector<8x128xf32>
        "tpu.vector_store"(%33, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%42, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x1xf32>, memref<8x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
        "tpu.vector_store"(%47, %arg13, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      }
    }
    %7 = arith.cmpi eq, %arg3, %c1_i32 : i32
    scf.if %7 {
      %8 = vector.load %arg13[%c0, %c0] : memref<8x128xf32, #tpu.memory_space<vmem>>, vector<8x128xf32>
      "tpu.vector_store"(%8, %arg8, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %9 = vector.load %arg11[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
      %10 = vector.broadcast %9 : vector<8x1xf32> to vector<8x128xf32>
      "tpu.vector_store"(%10, %arg9, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      %11 = vector.load %arg12[%c0, %c0] : memref<8x1xf32, #tpu.memory_space<vmem>>, vector<8x1xf32>
      %12 = vector.broadcast %11 : vector<8x1xf32> to vector<8x128xf32>
      "tpu.vector_store"(%12, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_1(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    %c1_i32 = arith.constant 1 : i32
    %c256_i32 = arith.constant 256 : i32
    %c255_i32 = arith.constant 255 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.muli %arg2, %c2_i32 : i32
    %1 = arith.addi %0, %arg3 : i32
    %2 = arith.index_cast %arg0 : i32 to index
    %3 = memref.load %arg4[%2] : memref<8xi32, #tpu.memory_space<smem>>
    %4 = arith.addi %3, %c255_i32 : i32
    %5 = arith.divsi %4, %c256_i32 : i32
    %6 = arith.subi %5, %c1_i32 : i32
    %7 = arith.maxsi %6, %c0_i32 : i32
    %8 = arith.minsi %1, %7 : i32
    return %arg0, %arg1, %8, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_2(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    %c1_i32 = arith.constant 1 : i32
    %c256_i32 = arith.constant 256 : i32
    %c255_i32 = arith.constant 255 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.muli %arg2, %c2_i32 : i32
    %1 = arith.addi %0, %arg3 : i32
    %2 = arith.index_cast %arg0 : i32 to index
    %3 = memref.load %arg4[%2] : memref<8xi32, #tpu.memory_space<smem>>
    %4 = arith.addi %3, %c255_i32 : i32
    %5 = arith.divsi %4, %c256_i32 : i32
    %6 = arith.subi %5, %c1_i32 : i32
    %7 = arith.maxsi %6, %c0_i32 : i32
    %8 = arith.minsi %1, %7 : i32
    return %arg0, %arg1, %8, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_4(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_5(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<8xi32, #tpu.memory_space<smem>>) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
}
