# 4 KiB random read IOPS by queue depth. Variables: term, outdir, subtitle.
set terminal term size 800,500
set output outdir.'/iops-by-qd.png'
set title "4 KiB random read IOPS by queue depth (guest fio, zero latency)\n".subtitle
set xlabel 'queue depth'
set ylabel 'IOPS (median)'
set logscale x 2
set xtics (1, 4, 16, 32)
set xrange [0.8:40]
set yrange [0:*]
set key top left
set grid
plot outdir.'/iops-by-qd.dat' using 1:2 with linespoints pt 7 title 'nvmev-iothread', \
     '' using 1:3 with linespoints pt 5 title 'qemu-nvme'
