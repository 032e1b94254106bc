/**
 * {@code vm cp}'s file trees on the wire, shared by the CLI (on the host, as the calling user) and the guest
 * agent: one implementation of each side, used in both directions.
 *
 * <ul>
 *   <li>{@link dev.banger.channel.copy.TarWriter} and {@link dev.banger.channel.copy.TarReader}: a small POSIX
 *       ustar + pax codec, only what a copy needs (regular files, directories, symbolic links; long names,
 *       large sizes and exact mtimes through pax records), each regular file followed by a trailer with its
 *       CRC-32C so the reader verifies every file as it arrives. Every header, name and record the reader
 *       takes is bounded; a file's size is only the bound of what is read for it.</li>
 *   <li>{@link dev.banger.channel.copy.SourceTree}: a file or directory walked without following links and
 *       written as an archive; devices, FIFOs and sockets are refused.</li>
 *   <li>{@link dev.banger.channel.copy.Extractor}: an archive written under a {@link
 *       dev.banger.channel.copy.CopyTarget} and nowhere else: no absolute names, no {@code ..}, never through a
 *       symbolic link, no devices, FIFOs or hard links; each file written under a temporary name and renamed
 *       once its checksum matched.</li>
 * </ul>
 *
 * <p>The wire format is in docs/API.md ("vm.cp").
 */
package dev.banger.channel.copy;
