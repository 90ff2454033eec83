module attributes {stable_mosaic.version = 15 : i64} {
  func.func @flash_attention_fwd(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32, %arg4: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg5: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg6: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg7: memref<64x256xbf16, #tpu.memory_space<vmem>>, %arg8: memref<256x128xf32, #tpu.memory_space<vmem>>, %arg9: memref<256x64xbf16, #tpu.memory_space<vmem>>, %arg10: memref<256x1xf32, #tpu.memory_space<vmem>>, %arg11: memref<256x1xf32, #tpu.memory_space<vmem>>, %arg12: memref<256x64xf32, #tpu.memory_space<vmem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<arbitrary>], iteration_bounds = array<i64: 1, 2, 2, 2>, scalar_prefetch = 0 : i64, scratch_operands = 4 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_1, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_2, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 1, 64, 256>}, {transform_indices = @transform_4, window_bounds = array<i64: 1, 1, 256, 128>}]} {
    %cst = arith.constant dense<0.693147182> : vector<256x1xf32>
    %cst_0 = arith.constant dense<1.000000e+00> : vector<256x1xf32>
    %c1_i32 = arith.constant 1 : i32
    %cst_1 = arith.constant dense<0xFF800000> : vector<256x256xf32>
    %cst_2 = arith.constant dense<0> : vector<256x256xi32>
    %cst_3 = arith.constant dense<0.000000e+00> : vector<256xf32>
    %cst_4 = arith.constant dense<0xFF800000> : vector<256xf32>
    %cst_5 = arith.constant dense<0.000000e+00> : vector<256x256xf32>
    %c-255_i32 = arith.constant -255 : i32
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %cst_6 = arith.constant dense<0.000000e+00> : vector<256x64xf32>
    %cst_7 = arith.constant dense<0.000000e+00> : vector<256x1xf32>
    %cst_8 = arith.constant dense<-1.000000e+30> : vector<256x1xf32>
    %cst_9 = arith.constant dense<0.180336878> : vector<256x64xf32>
    %c0 = arith.constant 0 : index
    %c0_i32 = arith.constant 0 : i32
    %0 = arith.cmpi eq, %arg3, %c0_i32 : i32
    scf.if %0 {
      %12 = vector.load %arg4[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %13 = "tpu.transpose"(%12) {permutation = array<i64: 1, 0>} : (vector<64x256xbf16>) -> vector<256x64xbf16>
      %14 = arith.extf %13 : vector<256x64xbf16> to vector<256x64xf32>
      %15 = arith.mulf %14, %cst_9 : vector<256x64xf32>
      %16 = arith.truncf %15 : vector<256x64xf32> to vector<256x64xbf16>
      "tpu.vector_store"(%16, %arg9, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xbf16>, memref<256x64xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    scf.if %0 {
      "tpu.vector_store"(%cst_8, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_7, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%cst_6, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %1 = arith.muli %arg2, %c256_i32 : i32
    %2 = arith.muli %arg3, %c256_i32 : i32
    %3 = arith.addi %1, %c255_i32 : i32
    %4 = arith.minsi %3, %c511_i32 : i32
    %5 = arith.cmpi sle, %2, %4 : i32
    %6 = arith.subi %2, %1 : i32
    %7 = arith.cmpi sle, %6, %c-255_i32 : i32
    %8 = arith.andi %5, %7 : i1
    scf.if %8 {
      %12 = vector.load %arg9[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %13 = vector.load %arg5[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %14 = vector.load %arg6[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %15 = "tpu.matmul"(%12, %13, %cst_5) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<64x256xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %16 = vector.load %arg10[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %17 = vector.load %arg11[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %18 = vector.load %arg12[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %19 = vector.multi_reduction <maximumf>, %15, %cst_4 [1] : vector<256x256xf32> to vector<256xf32>
      %20 = vector.shape_cast %19 : vector<256xf32> to vector<256x1xf32>
      %21 = arith.maximumf %16, %20 : vector<256x1xf32>
      %22 = vector.broadcast %21 : vector<256x1xf32> to vector<256x256xf32>
      %23 = arith.subf %15, %22 : vector<256x256xf32>
      %24 = math.exp2 %23 : vector<256x256xf32>
      %25 = arith.subf %16, %21 : vector<256x1xf32>
      %26 = math.exp2 %25 : vector<256x1xf32>
      %27 = arith.mulf %26, %17 : vector<256x1xf32>
      %28 = vector.multi_reduction <add>, %24, %cst_3 [1] : vector<256x256xf32> to vector<256xf32>
      %29 = vector.shape_cast %28 : vector<256xf32> to vector<256x1xf32>
      %30 = arith.addf %27, %29 : vector<256x1xf32>
      %31 = vector.broadcast %26 : vector<256x1xf32> to vector<256x64xf32>
      %32 = arith.mulf %18, %31 : vector<256x64xf32>
      %33 = arith.truncf %24 : vector<256x256xf32> to vector<256x256xbf16>
      %34 = "tpu.matmul"(%33, %14, %cst_6) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<64x256xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %35 = arith.addf %32, %34 : vector<256x64xf32>
      "tpu.vector_store"(%21, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%30, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%35, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %9 = arith.cmpi sgt, %6, %c-255_i32 : i32
    %10 = arith.andi %5, %9 : i1
    scf.if %10 {
      %12 = vector.load %arg9[%c0, %c0] : memref<256x64xbf16, #tpu.memory_space<vmem>>, vector<256x64xbf16>
      %13 = vector.load %arg5[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %14 = vector.load %arg6[%c0, %c0] : memref<64x256xbf16, #tpu.memory_space<vmem>>, vector<64x256xbf16>
      %15 = "tpu.matmul"(%12, %13, %cst_5) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [0], [0], [1], [0, 0, 1, 1], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x64xbf16>, vector<64x256xbf16>, vector<256x256xf32>) -> vector<256x256xf32>
      %16 = "tpu.iota"() {dimensions = array<i32: 0>} : () -> vector<256x256xi32>
      %17 = "tpu.iota"() {dimensions = array<i32: 1>} : () -> vector<256x256xi32>
      %18 = arith.subi %17, %16 : vector<256x256xi32>
      %19 = arith.cmpi sle, %18, %cst_2 : vector<256x256xi32>
      %20 = arith.select %19, %15, %cst_1 : vector<256x256xi1>, vector<256x256xf32>
      %21 = vector.load %arg10[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %22 = vector.load %arg11[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %23 = vector.load %arg12[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %24 = vector.multi_reduction <maximumf>, %20, %cst_4 [1] : vector<256x256xf32> to vector<256xf32>
      %25 = vector.shape_cast %24 : vector<256xf32> to vector<256x1xf32>
      %26 = arith.maximumf %21, %25 : vector<256x1xf32>
      %27 = vector.broadcast %26 : vector<256x1xf32> to vector<256x256xf32>
      %28 = arith.subf %20, %27 : vector<256x256xf32>
      %29 = math.exp2 %28 : vector<256x256xf32>
      %30 = arith.subf %21, %26 : vector<256x1xf32>
      %31 = math.exp2 %30 : vector<256x1xf32>
      %32 = arith.mulf %31, %22 : vector<256x1xf32>
      %33 = vector.multi_reduction <add>, %29, %cst_3 [1] : vector<256x256xf32> to vector<256xf32>
      %34 = vector.shape_cast %33 : vector<256xf32> to vector<256x1xf32>
      %35 = arith.addf %32, %34 : vector<256x1xf32>
      %36 = vector.broadcast %31 : vector<256x1xf32> to vector<256x64xf32>
      %37 = arith.mulf %23, %36 : vector<256x64xf32>
      %38 = arith.truncf %29 : vector<256x256xf32> to vector<256x256xbf16>
      %39 = "tpu.matmul"(%38, %14, %cst_6) {dimension_numbers = #tpu.dot_dimension_numbers<[1], [1], [0], [0], [0, 0, 1, 0], [], []>, transpose_lhs = false, transpose_lhs_hint = false, transpose_rhs = false} : (vector<256x256xbf16>, vector<64x256xbf16>, vector<256x64xf32>) -> vector<256x64xf32>
      %40 = arith.addf %37, %39 : vector<256x64xf32>
      "tpu.vector_store"(%26, %arg10, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%35, %arg11, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x1xf32>, memref<256x1xf32, #tpu.memory_space<vmem>>, index, index) -> ()
      "tpu.vector_store"(%40, %arg12, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x64xf32>, memref<256x64xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    %11 = arith.cmpi eq, %arg3, %c1_i32 : i32
    scf.if %11 {
      %12 = vector.load %arg10[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %13 = vector.load %arg11[%c0, %c0] : memref<256x1xf32, #tpu.memory_space<vmem>>, vector<256x1xf32>
      %14 = vector.load %arg12[%c0, %c0] : memref<256x64xf32, #tpu.memory_space<vmem>>, vector<256x64xf32>
      %15 = arith.cmpf oeq, %13, %cst_7 : vector<256x1xf32>
      %16 = arith.select %15, %cst_0, %13 : vector<256x1xi1>, vector<256x1xf32>
      %17 = arith.divf %cst_0, %16 : vector<256x1xf32>
      %18 = vector.broadcast %17 : vector<256x1xf32> to vector<256x64xf32>
      %19 = arith.mulf %14, %18 : vector<256x64xf32>
      %20 = "tpu.transpose"(%19) {permutation = array<i64: 1, 0>} : (vector<256x64xf32>) -> vector<64x256xf32>
      %21 = arith.truncf %20 : vector<64x256xf32> to vector<64x256xbf16>
      "tpu.vector_store"(%21, %arg7, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<64x256xbf16>, memref<64x256xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
      %22 = arith.mulf %12, %cst : vector<256x1xf32>
      %23 = math.log %13 : vector<256x1xf32>
      %24 = arith.addf %22, %23 : vector<256x1xf32>
      %25 = vector.broadcast %24 : vector<256x1xf32> to vector<256x128xf32>
      "tpu.vector_store"(%25, %arg8, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<256x128xf32>, memref<256x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    }
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_1(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %c0_i32 = arith.constant 0 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.divsi %arg1, %c2_i32 : i32
    %1 = arith.muli %arg2, %c256_i32 : i32
    %2 = arith.addi %1, %c255_i32 : i32
    %3 = arith.minsi %2, %c511_i32 : i32
    %4 = arith.maxsi %3, %c0_i32 : i32
    %5 = arith.minsi %4, %c511_i32 : i32
    %6 = arith.divsi %5, %c256_i32 : i32
    %7 = arith.minsi %arg3, %6 : i32
    return %arg0, %0, %c0_i32, %7 : i32, i32, i32, i32
  }
  func.func @transform_2(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c511_i32 = arith.constant 511 : i32
    %c255_i32 = arith.constant 255 : i32
    %c256_i32 = arith.constant 256 : i32
    %c0_i32 = arith.constant 0 : i32
    %c2_i32 = arith.constant 2 : i32
    %0 = arith.divsi %arg1, %c2_i32 : i32
    %1 = arith.muli %arg2, %c256_i32 : i32
    %2 = arith.addi %1, %c255_i32 : i32
    %3 = arith.minsi %2, %c511_i32 : i32
    %4 = arith.maxsi %3, %c0_i32 : i32
    %5 = arith.minsi %4, %c511_i32 : i32
    %6 = arith.divsi %5, %c256_i32 : i32
    %7 = arith.minsi %arg3, %6 : i32
    return %arg0, %0, %c0_i32, %7 : i32, i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %arg2 : i32, i32, i32, i32
  }
  func.func @transform_4(%arg0: i32, %arg1: i32, %arg2: i32, %arg3: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %arg2, %c0_i32 : i32, i32, i32, i32
  }
}
