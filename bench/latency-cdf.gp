# Guest latency CDF per configured read latency; dashed lines mark where each
# would be if the device added exactly its configured latency (baseline
# median + configured). Variables: term, outdir, titles (one word per series),
# subtitle.
set terminal term size 900,560
set output outdir.'/latency-cdf.png'
set title "nvmev-iothread: 4 KiB random read QD1, guest fio total latency (polled)\n".subtitle
set xlabel 'latency (us)'
set ylabel 'fraction of I/Os'
set logscale x
set yrange [0:1]
set key bottom right
set grid
load outdir.'/cdf-marks.gp'
n = words(titles)
plot for [i=0:n-1] outdir.'/cdf.dat' index i using 1:2 with linespoints lc i+1 pt 7 ps 0.5 title word(titles, i+1)
