module attributes {stable_mosaic.version = 15 : i64} {
  func.func @flash_decoding_combine_b2_q1_hq8_hkv2_d128_n2048_s4_bkv256(%arg0: i32, %arg1: i32, %arg2: memref<4x8x128xf32, #tpu.memory_space<vmem>>, %arg3: memref<4x8x128xf32, #tpu.memory_space<vmem>>, %arg4: memref<4x8x128xf32, #tpu.memory_space<vmem>>, %arg5: memref<8x128xbf16, #tpu.memory_space<vmem>>, %arg6: memref<8x128xf32, #tpu.memory_space<vmem>>) attributes {dimension_semantics = [#tpu.dimension_semantics<parallel>, #tpu.dimension_semantics<parallel>], iteration_bounds = array<i64: 2, 2>, scalar_prefetch = 0 : i64, scratch_operands = 0 : i64, tpu.core_type = #tpu.core_type<tc>, window_params = [{transform_indices = @transform_0, window_bounds = array<i64: 1, 1, 4, 8, 128>}, {transform_indices = @transform_1, window_bounds = array<i64: 1, 1, 4, 8, 128>}, {transform_indices = @transform_2, window_bounds = array<i64: 1, 1, 4, 8, 128>}, {transform_indices = @transform_3, window_bounds = array<i64: 1, 1, 8, 128>}, {transform_indices = @transform_4, window_bounds = array<i64: 1, 1, 8, 128>}]} {
    %cst = arith.constant dense<1.000000e+00> : vector<8x1xf32>
    %cst_0 = arith.constant dense<0.000000e+00> : vector<8x128xf32>
    %cst_1 = arith.constant dense<0.000000e+00> : vector<8x1xf32>
    %cst_2 = arith.constant dense<0xFF800000> : vector<8x1xf32>
    %c0 = arith.constant 0 : index
    %0 = vector.load %arg3[%c0, %c0, %c0] : memref<4x8x128xf32, #tpu.memory_space<vmem>>, vector<4x8x1xf32>
    %1 = vector.load %arg4[%c0, %c0, %c0] : memref<4x8x128xf32, #tpu.memory_space<vmem>>, vector<4x8x1xf32>
    %2 = vector.multi_reduction <maximumf>, %0, %cst_2 [0] : vector<4x8x1xf32> to vector<8x1xf32>
    %3 = vector.broadcast %2 : vector<8x1xf32> to vector<4x8x1xf32>
    %4 = arith.subf %0, %3 : vector<4x8x1xf32>
    %5 = math.exp %4 : vector<4x8x1xf32>
    %6 = arith.mulf %5, %1 : vector<4x8x1xf32>
    %7 = vector.multi_reduction <add>, %6, %cst_1 [0] : vector<4x8x1xf32> to vector<8x1xf32>
    %8 = vector.load %arg2[%c0, %c0, %c0] : memref<4x8x128xf32, #tpu.memory_space<vmem>>, vector<4x8x128xf32>
    %9 = vector.broadcast %5 : vector<4x8x1xf32> to vector<4x8x128xf32>
    %10 = arith.mulf %8, %9 : vector<4x8x128xf32>
    %11 = vector.multi_reduction <add>, %10, %cst_0 [0] : vector<4x8x128xf32> to vector<8x128xf32>
    %12 = arith.cmpf oeq, %7, %cst_1 : vector<8x1xf32>
    %13 = arith.select %12, %cst, %7 : vector<8x1xi1>, vector<8x1xf32>
    %14 = vector.broadcast %13 : vector<8x1xf32> to vector<8x128xf32>
    %15 = arith.divf %11, %14 : vector<8x128xf32>
    %16 = arith.truncf %15 : vector<8x128xf32> to vector<8x128xbf16>
    "tpu.vector_store"(%16, %arg5, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xbf16>, memref<8x128xbf16, #tpu.memory_space<vmem>>, index, index) -> ()
    %17 = math.log %7 : vector<8x1xf32>
    %18 = arith.addf %2, %17 : vector<8x1xf32>
    %19 = vector.broadcast %18 : vector<8x1xf32> to vector<8x128xf32>
    "tpu.vector_store"(%19, %arg6, %c0, %c0) {add = false, operandSegmentSizes = array<i32: 1, 1, 2, 0>, strides = array<i32>} : (vector<8x128xf32>, memref<8x128xf32, #tpu.memory_space<vmem>>, index, index) -> ()
    return
  }
  func.func @transform_0(%arg0: i32, %arg1: i32) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_1(%arg0: i32, %arg1: i32) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_2(%arg0: i32, %arg1: i32) -> (i32, i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32, %c0_i32 : i32, i32, i32, i32, i32
  }
  func.func @transform_3(%arg0: i32, %arg1: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32 : i32, i32, i32, i32
  }
  func.func @transform_4(%arg0: i32, %arg1: i32) -> (i32, i32, i32, i32) {
    %c0_i32 = arith.constant 0 : i32
    return %arg0, %arg1, %c0_i32, %c0_i32 : i32, i32, i32, i32
  }
}
