# Configured read latency against the latency the guest sees added over the
# zero-latency baseline; y = x is perfect fidelity. Variables: term, outdir, subtitle.
set terminal term size 800,560
set output outdir.'/fidelity.png'
set title "nvmev-iothread: configured vs measured added read latency (4 KiB QD1)\n".subtitle
set xlabel 'configured read latency (us)'
set ylabel 'added guest latency (us)'
set xrange [0:*]
set yrange [0:*]
set key top left
set grid
plot x with lines dt 2 lc rgb 'gray40' title 'y = x', \
     outdir.'/fidelity.dat' using 1:3 with linespoints pt 7 title 'added median', \
     '' using 1:2 with linespoints pt 5 title 'added mean'
