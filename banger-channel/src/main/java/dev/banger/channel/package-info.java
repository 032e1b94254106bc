/**
 * The agent channel: a framed, multiplexed, flow-controlled protocol over one byte stream, shared by the
 * daemon ({@link dev.banger.channel.Channel#host}) and the guest agent ({@link dev.banger.channel.Channel#guest}).
 *
 * <p>Layers, each usable alone: {@link dev.banger.channel.FrameEncoder} / {@link dev.banger.channel.FrameDecoder}
 * (COBS framing with 0x00 delimiters and a CRC-32C: self-delimiting, resynchronising, bounded);
 * {@link dev.banger.channel.Hello} and {@link dev.banger.channel.Handshake} (versions and their pure
 * compatibility decision); {@link dev.banger.channel.Channel} and {@link dev.banger.channel.Stream} (the
 * multiplexer with credit-based flow control). The wire format is specified in docs/CHANNEL.md.
 *
 * <p>This module depends on nothing but java.base: the agent ships it inside its own jar.
 */
package dev.banger.channel;
