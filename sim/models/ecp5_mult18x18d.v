// Simulation model of the Lattice ECP5 18x18 multiplier cell MULT18X18D, for the configurations
// allo-rtl instantiates: A and B each registered on CLK0 or not, the product registered on CLK0
// or not, no pipeline register, no cascade inputs, no bypass. Any other configuration stops
// elaboration, so that a design never simulates a mode this model does not describe.
//
// It is only for simulation: synthesis (yosys synth_ecp5) keeps MULT18X18D as the DSP block.
// The registers have no initial value: in Icarus they start as X, so a design that used a
// product before its operands were registered would show X in its results.
module MULT18X18D(
    input A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16, A17,
    input B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10, B11, B12, B13, B14, B15, B16, B17,
    input SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
    input CLK0, CE0, RST0,
    output P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15, P16, P17, P18, P19, P20, P21, P22, P23, P24, P25, P26, P27, P28, P29, P30, P31, P32, P33, P34, P35
);
    parameter REG_INPUTA_CLK = "NONE";
    parameter REG_INPUTB_CLK = "NONE";
    parameter REG_PIPELINE_CLK = "NONE";
    parameter REG_OUTPUT_CLK = "NONE";
    parameter MULT_BYPASS = "DISABLED";

    generate
        if ((REG_INPUTA_CLK != "NONE" && REG_INPUTA_CLK != "CLK0")
                || (REG_INPUTB_CLK != "NONE" && REG_INPUTB_CLK != "CLK0")
                || REG_PIPELINE_CLK != "NONE"
                || (REG_OUTPUT_CLK != "NONE" && REG_OUTPUT_CLK != "CLK0")
                || MULT_BYPASS != "DISABLED")
            MULT18X18D_configuration_not_modelled_by_allo_rtl unsupported();
    endgenerate

    wire [17:0] a_in = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
    wire [17:0] b_in = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};
    reg [17:0] a_reg, b_reg;
    reg sa_reg, sb_reg;
    always @(posedge CLK0) begin
        if (RST0) begin
            a_reg <= 18'd0; sa_reg <= 1'b0;
            b_reg <= 18'd0; sb_reg <= 1'b0;
        end else if (CE0) begin
            a_reg <= a_in; sa_reg <= SIGNEDA;
            b_reg <= b_in; sb_reg <= SIGNEDB;
        end
    end
    wire [17:0] a = REG_INPUTA_CLK == "CLK0" ? a_reg : a_in;
    wire [17:0] b = REG_INPUTB_CLK == "CLK0" ? b_reg : b_in;
    wire sa = REG_INPUTA_CLK == "CLK0" ? sa_reg : SIGNEDA;
    wire sb = REG_INPUTB_CLK == "CLK0" ? sb_reg : SIGNEDB;
    // each operand widened to 36 bits by its own signedness; the low 36 bits of the product
    wire [35:0] a_wide = {{18{sa & a[17]}}, a};
    wire [35:0] b_wide = {{18{sb & b[17]}}, b};
    wire [35:0] product = a_wide * b_wide;
    reg [35:0] p_reg;
    always @(posedge CLK0) begin
        if (RST0) p_reg <= 36'd0;
        else if (CE0) p_reg <= product;
    end
    assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = REG_OUTPUT_CLK == "CLK0" ? p_reg : product;
endmodule
